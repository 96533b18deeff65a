#ifndef DGRID_DETAIL_ENGINE_OPERATION_FSM_IPP
#define DGRID_DETAIL_ENGINE_OPERATION_FSM_IPP

#include <dgrid/detail/engine/operation_fsm.hpp>
#include <dgrid/detail/http/response_status.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <random>

namespace dgrid::detail {

DGRID_DECL error_code operation_error(error_code ec, operation_phase phase, clock::time_point now,
                                      clock::time_point total_deadline) noexcept {
    namespace http = boost::beast::http;
    const bool past_total = total_deadline != clock::time_point::max() && now >= total_deadline;
    if (ec == boost::beast::error::timeout) {
        if (past_total)
            return error::total_timeout;
        switch (phase) {
        case operation_phase::connect: return error::connect_timeout;
        case operation_phase::headers: return error::headers_timeout;
        case operation_phase::body: return error::total_timeout;
        case operation_phase::stream_read: return error::stream_idle_timeout;
        }
    }
    if (ec == boost::asio::error::operation_aborted && past_total)
        return error::total_timeout;
    if (ec == http::error::body_limit)
        return error::response_too_large;
    if (ec == http::error::header_limit)
        return error::headers_too_large;
    if (phase == operation_phase::stream_read &&
        (ec == http::error::partial_message || ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
         ec == boost::asio::ssl::error::stream_truncated))
        return error::stream_truncated;
    return ec;
}

// Errors with which a reused keep-alive connection shows that the server had
// closed it while it sat idle: the request never reached the server, so it
// may be sent again when no byte of a response arrived.
inline bool is_lost_idle_connection(error_code ec) {
    namespace http = boost::beast::http;
    namespace aerr = boost::asio::error;
    return ec == aerr::eof || ec == http::error::end_of_stream || ec == aerr::connection_reset ||
           ec == aerr::broken_pipe || ec == aerr::connection_aborted || ec == aerr::not_connected ||
           ec == boost::asio::ssl::error::stream_truncated;
}

// What the diagnostics say about a failed exchange when nothing else did.
inline const char* describe_exchange_failure(error_code ec) {
    if (ec == error::response_too_large)
        return "the response is larger than client_options::max_response_size";
    if (ec == error::headers_too_large)
        return "the response headers are larger than client_options::max_header_size";
    if (ec == error::headers_timeout)
        return "no response headers within the headers timeout (timeouts.headers or request_options)";
    if (ec == error::total_timeout)
        return "the request passed its total timeout (timeouts.total or request_options)";
    return "the HTTP exchange failed";
}

inline double thread_random01() {
    thread_local std::minstd_rand random(std::random_device{}());
    return std::uniform_real_distribution<double>(0.0, 1.0)(random);
}

DGRID_DECL operation_fsm::operation_fsm(operation_kind kind, const client_options& options,
                                        const request_limits& limits, retry_budget& budget,
                                        clock::time_point total_deadline, double (*random01)())
    : kind_(kind), options_(options), limits_(limits), budget_(budget),
      random01_(random01 ? random01 : &thread_random01), total_deadline_(total_deadline) {}

DGRID_DECL operation_step operation_fsm::resume(const operation_event& event, diagnostics& diag) {
    switch (state_) {
    case state::start:
        started_at_ = event.now;
        budget_.on_request(event.now);
        return acquire(false, event.now);

    case state::acquiring:
        if (event.ec) {
            // No connection to give back; the pool said what went wrong.
            return decide(operation_error(event.ec, operation_phase::connect, event.now, total_deadline_), event.now,
                          diag);
        }
        diag.attempts = ++attempts_;
        reused_ = event.reused;
        if (observation_)
            observation_->connection(attempts_, reused_, event.opening ? *event.opening : connection_opening{},
                                     event.now);
        if (event.cancelled)
            return attempt_failed(boost::asio::error::operation_aborted, operation_phase::headers, event, diag);
        response_.emplace();
        response_->keep_fields(options_.keep_response_headers);
        // A stream's body is bounded event by event (max_event_size) instead:
        // Beast would hold a Content-Length against the limit with the header.
        if (kind_ == operation_kind::call)
            response_->body_limit(options_.max_response_size);
        else
            response_->body_limit(boost::none);
        response_->header_limit(options_.max_header_size);
        deadline_ = std::min(deadline_after(limits_.headers, event.now), total_deadline_);
        state_ = state::writing;
        return operation_step::write;

    case state::writing:
        if (event.ec)
            return attempt_failed(event.ec, operation_phase::headers, event, diag);
        if (event.cancelled)
            return attempt_failed(boost::asio::error::operation_aborted, operation_phase::headers, event, diag);
        state_ = state::reading_header;
        return operation_step::read_header;

    case state::reading_header:
        if (event.ec)
            return attempt_failed(event.ec, operation_phase::headers, event, diag);
        if (event.cancelled)
            return attempt_failed(boost::asio::error::operation_aborted, operation_phase::body, event, diag);
        headers_at_ = event.now;
        if (observation_)
            observation_->head(attempts_, response_->status(), (*response_)[response_field::request_id], event.now);
        if (kind_ == operation_kind::stream) {
            if (response_->status() / 100 == 2 && is_event_stream(*response_)) {
                ec_ = {};
                state_ = state::opened;
                return operation_step::done;
            }
            // An error status, or not a stream at all: the body is read for the diagnostics.
            response_->body_limit(max_error_body);
            deadline_ = std::min(deadline_after(limits_.headers, event.now), total_deadline_);
            state_ = state::reading_error_body;
            return operation_step::read_body;
        }
        deadline_ = total_deadline_;
        state_ = state::reading_body;
        return operation_step::read_body;

    case state::reading_body:
        if (event.ec)
            return attempt_failed(event.ec, operation_phase::body, event, diag);
        return release(response_->is_done() && response_->keep_alive(), state::releasing_answered);

    case state::reading_error_body:
        // The status decides even when its body was cut short.
        return release(!event.ec && response_->is_done() && response_->keep_alive(), state::releasing_answered);

    case state::releasing_answered: state_ = state::interpreting; return operation_step::interpret;

    case state::interpreting:
        if (!event.ec)
            return finish({});
        return decide(event.ec, event.now, diag);

    case state::releasing_stale: return acquire(true, event.now);

    case state::releasing_failed: return decide(ec_, event.now, diag);

    case state::waiting:
        forget_attempt(diag);
        if (event.ec || event.cancelled) {
            const error_code ec = operation_error(event.ec ? event.ec : boost::asio::error::operation_aborted,
                                                  operation_phase::connect, event.now, total_deadline_);
            diag.message =
                ec == error::total_timeout ? describe_exchange_failure(ec) : "cancelled while waiting to retry";
            return finish(ec);
        }
        return acquire(false, event.now);

    case state::opened:
    case state::finished: break;
    }
    return operation_step::done;
}

DGRID_DECL void operation_fsm::describe_response(response_info& info) const {
    read_response_info(*response_, info);
    info.attempts = attempts_;
    info.time_to_headers = headers_at_ - started_at_;
}

DGRID_DECL operation_step operation_fsm::stream_failed(error_code ec, clock::time_point now, diagnostics& diag) {
    return decide(ec, now, diag);
}

inline operation_step operation_fsm::acquire(bool fresh, clock::time_point now) {
    if (observation_)
        observation_->attempt(attempts_ + 1, now);
    fresh_ = fresh;
    state_ = state::acquiring;
    return operation_step::acquire;
}

// A connection that served requests before and fails before any byte of the
// response came was most likely closed by the server while it sat idle: the
// request is sent once more on a new connection, without counting as a retry.
inline operation_step operation_fsm::attempt_failed(error_code ec, operation_phase phase, const operation_event& event,
                                                    diagnostics& diag) {
    const bool got_some = response_ && response_->got_some();
    if (reused_ && !fresh_ && !got_some && is_lost_idle_connection(ec))
        return release(false, state::releasing_stale);
    ec_ = operation_error(ec, phase, event.now, total_deadline_);
    if (diag.message.empty())
        diag.message = describe_exchange_failure(ec_);
    return release(false, state::releasing_failed);
}

inline operation_step operation_fsm::release(bool reusable, state next) {
    reusable_ = reusable;
    state_ = next;
    return operation_step::release;
}

// The one retry decision: the policy (count, which failures, the server's
// wish), the deadline and the client's budget each have their say.
inline operation_step operation_fsm::decide(error_code ec, clock::time_point now, diagnostics& diag) {
    const retry_policy& policy = options_.retry;
    if (retries_ < limits_.max_retries && is_retryable(ec, diag)) {
        delay_ = retry_delay(policy, retries_, diag, random01_());
        const bool in_time = total_deadline_ == clock::time_point::max() || now + delay_ < total_deadline_;
        if (in_time && budget_.try_retry(now)) {
            if (observation_)
                observation_->retry(attempts_, ec, delay_, now);
            ++retries_;
            state_ = state::waiting;
            return operation_step::wait;
        }
    }
    return finish(ec);
}

inline operation_step operation_fsm::finish(error_code ec) {
    ec_ = ec;
    state_ = state::finished;
    return operation_step::done;
}

} // namespace dgrid::detail

#endif
