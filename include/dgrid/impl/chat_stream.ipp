#ifndef DGRID_IMPL_CHAT_STREAM_IPP
#define DGRID_IMPL_CHAT_STREAM_IPP

#include <dgrid/chat_stream.hpp>
#include <dgrid/detail/deliver_outcome.hpp>
#include <dgrid/detail/engine/request_driver.hpp>
#include <dgrid/detail/stream/next_chunk_op.hpp>
#include <dgrid/detail/stream/stream_state.hpp>
#include <dgrid/json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/this_coro.hpp>

namespace dgrid {
namespace detail {

inline stream_state::stream_state(std::shared_ptr<client_impl> client, wire_request request,
                                  const request_limits& limits, std::unique_ptr<call_observation> observation,
                                  std::unique_ptr<connection> first)
    : conn_(std::move(first)), client_(std::move(client)), request_(std::move(request)),
      fsm_(operation_kind::stream, client_->options(), limits, client_->budget(), deadline_after(limits.total)),
      sse_(client_->options().max_event_size), observation_(std::move(observation)) {
    if (observation_) {
        fsm_.observe(observation_.get());
        observation_->ask_about_deltas();
    }
}

// True when the chunk holds part of the answer. Chunks with only a role or
// nothing at all may precede a failure; the stream is still retried after them.
inline bool carries_answer(const chat_chunk& chunk) {
    for (const auto& choice : chunk.choices) {
        const auto& delta = choice.delta;
        if ((delta.content && !delta.content->empty()) ||
            (delta.reasoning_content && !delta.reasoning_content->empty()) || !delta.tool_calls.empty())
            return true;
    }
    return false;
}

// The error of a response to a stream request that is not a stream: its
// status, an error object in its body, or a body of another type.
inline error_code stream_refusal(const response_reader& response, diagnostics& diag) {
    error_code ec = read_status(response, diag);
    if (!ec)
        ec = read_error_in_body(response.body(), diag);
    if (!ec) {
        read_error_body(response.body(), diag);
        diag.message = "expected text/event-stream, got " + std::string(response[response_field::content_type]) +
                       (diag.message.empty() ? std::string() : ": " + diag.message);
        ec = error::not_an_event_stream;
    }
    return ec;
}

inline asio::awaitable<error_code> stream_state::open(diagnostics& diag) {
    const operation_step step = fsm_.resume({{}, clock::now()}, diag);
    return send(diag, step);
}

inline asio::awaitable<error_code> stream_state::reopen(diagnostics& diag) {
    const operation_step step = fsm_.stream_failed(failure_, clock::now(), diag);
    error_code ec = failure_;
    if (step != operation_step::done) {
        ec = co_await send(diag, step);
        if (ec)
            fail(ec, diag, "the stream could not be opened again");
    }
    if (ec) {
        failure_final_ = true;
        observe_end(ec, &failure_diag_);
    }
    co_return ec;
}

inline asio::awaitable<error_code> stream_state::send(diagnostics& diag, operation_step step) {
    status_ = status::streaming;
    accumulator_.take(); // what a failed attempt said is not part of the answer
    decoder_.restart();
    failure_ = {};
    sse_.reset();
    framing_ = body_framing::length(0);
    read_filled_ = false;
    response_ = {};
    error_code ec = co_await drive(client_->pool(), fsm_, step, request_, conn_, diag, stream_refusal);
    if (ec)
        co_return ec;
    const response_reader& head = fsm_.response();
    fsm_.describe_response(response_);
    diag.http_status = response_.http_status;
    diag.request_id = response_.request_id;
    strand_ = conn_->get_executor();
    canceller(); // made now, so that reading the answer allocates nothing
    last_data_ = clock::now();
    data_since_read_ = false;
    conn_->free_tls_buffers();
    if (head.chunked())
        framing_ = body_framing::chunked();
    else if (auto length = head.content_length(); length || head.is_done())
        framing_ = body_framing::length(length.value_or(0));
    else
        framing_ = body_framing::until_close();
    co_return error_code();
}

inline stream_state::~stream_state() {
    if (conn_)
        client_->pool().release(std::move(conn_), false);
}

inline void stream_state::abandon() {
    if (in_flight_.load()) {
        // Not `conn_` or `strand_`: a retry under way may be replacing them.
        flight_cancellation_->request(asio::cancellation_type::terminal);
        return;
    }
    observe_end(asio::error::operation_aborted, nullptr);
    if (conn_)
        client_->pool().release(std::move(conn_), false);
}

inline void stream_state::observe_end(error_code ec, const diagnostics* diag) {
    if (observation_)
        observation_->end(ec, fsm_.attempts(), diag, &accumulator_.completion().usage, clock::now());
}

inline void stream_state::fail(error_code ec, diagnostics& diag, const char* what) {
    status_ = status::failed;
    failure_ = ec;
    if (diag.message.empty())
        diag.message = what;
    diag.attempts = fsm_.attempts();
    if (diag.http_status == 0) {
        diag.http_status = response_.http_status;
        diag.request_id = response_.request_id;
    }
    failure_diag_ = diag;
    if (conn_)
        client_->pool().release(std::move(conn_), false);
    if (delivered_) // else a retry may follow (reopen)
        observe_end(ec, &failure_diag_);
}

// The bytes a flat_buffer holds.
inline std::string_view buffer_view(const beast::flat_buffer& buffer) {
    const auto data = buffer.data();
    return {static_cast<const char*>(data.data()), data.size()};
}

inline stream_state::step_result stream_state::step(diagnostics& diag) {
    if (status_ == status::failed)
        return step_result::failed;
    if (status_ == status::done)
        return step_result::end;
    for (;;) {
        error_code ec;
        const std::string_view body = body_bytes(ec);
        if (ec) {
            fail(ec, diag, "the stream's chunked encoding is malformed");
            return step_result::failed;
        }
        if (body.empty())
            break;
        take_body(sse_.parse(body, ec));
        if (ec) {
            fail(ec, diag, "a server-sent event exceeds client_options::max_event_size");
            return step_result::failed;
        }
        if (!sse_.has_event())
            continue;
        // The event may be a view of the connection's buffer, unchanged
        // until the next read: it is decoded before.
        sse_event event = sse_.event();
        data_since_read_ = true;
        if (event.data == "[DONE]") {
            end_answer();
            return step_result::end;
        }
        if (event.type == "error") {
            read_error_body(event.data, diag);
            fail(error::stream_error, diag, "the gateway sent an error event");
            return step_result::failed;
        }
        ec = decoder_.decode(event.data, chunk_, diag);
        if (ec == error::stream_error)
            accumulator_.add(chunk_); // choices beside the error (`finish_reason: "error"`) are part of the answer
        if (ec) {
            fail(ec, diag, "an event of the stream cannot be decoded");
            return step_result::failed;
        }
        accumulator_.add(chunk_);
        if ((!delivered_ || (observation_ && observation_->wants_deltas())) && carries_answer(chunk_))
            note_answer_chunk();
        return step_result::chunk;
    }
    return step_result::need_bytes;
}

inline void stream_state::note_answer_chunk() {
    const auto now = clock::now();
    if (!delivered_) {
        delivered_ = true;
        response_.time_to_first_token = now - fsm_.started_at();
        request_ = {}; // never sent again: a long prompt need not stay for the whole answer
    }
    if (observation_) {
        std::size_t text_size = 0;
        for (const auto& choice : chunk_.choices) {
            const chunk_delta& delta = choice.delta;
            text_size += (delta.content ? delta.content->size() : 0) +
                         (delta.reasoning_content ? delta.reasoning_content->size() : 0);
        }
        observation_->delta(answer_chunks_++, text_size, now);
    }
}

inline void stream_state::end_answer() {
    status_ = status::done;
    response_.total = clock::now() - fsm_.started_at();
    chat_chunk rest;
    if (decoder_.flush_lone_surrogates(rest))
        accumulator_.add(rest);
    observe_end({}, nullptr);
}

inline bool stream_state::end_without_done() {
    const auto& choices = accumulator_.completion().choices;
    const bool finished = !choices.empty() && std::all_of(choices.begin(), choices.end(),
                                                          [](const choice& c) { return c.finish_reason.has_value(); });
    if (finished)
        end_answer();
    return finished;
}

inline clock::time_point stream_state::read_deadline(clock::time_point since) const {
    const auto idle = fsm_.limits().stream_idle;
    return std::min(idle.count() > 0 ? since + idle : clock::time_point::max(), total_deadline());
}

inline void stream_state::begin_read() {
    // Only data events move the idle deadline: comments do not.
    if (data_since_read_) {
        last_data_ = clock::now();
        data_since_read_ = false;
    }
    conn_->expire_at(read_deadline(last_data_));
}

// A read that filled the buffer found more waiting: the stream is fast, and
// larger reads cost less per byte.
inline asio::mutable_buffer stream_state::read_space() {
    beast::flat_buffer& input = conn_->buffer();
    if (read_filled_ && input.capacity() < max_read_buffer_size)
        input.reserve(std::min(2 * input.capacity(), max_read_buffer_size));
    return input.prepare(input.capacity() - input.size());
}

inline void stream_state::end_read(std::size_t bytes) {
    beast::flat_buffer& input = conn_->buffer();
    read_filled_ = bytes == input.capacity() - input.size();
    input.commit(bytes);
}

inline void stream_state::fail_read(error_code ec, diagnostics& diag) {
    ec = operation_error(ec, operation_phase::stream_read, clock::now(), total_deadline());
    const char* what = "reading the stream failed";
    if (ec == error::total_timeout)
        what = "the stream passed its total timeout (timeouts.stream_total or request_options)";
    else if (ec == error::stream_idle_timeout)
        what = "no data event within the idle timeout (timeouts.stream_idle or request_options)";
    else if (ec == error::stream_truncated)
        what = "the connection closed before data: [DONE]";
    fail(ec, diag, what);
}

inline void stream_state::begin_drain() { conn_->expire_at(read_deadline(clock::now())); }

inline bool stream_state::skip_body() {
    for (;;) {
        error_code ec;
        const std::size_t size = body_bytes(ec).size();
        if (ec)
            return false;
        if (size == 0)
            return true;
        take_body(size);
    }
}

inline std::string_view stream_state::body_bytes(error_code& ec) {
    beast::flat_buffer& input = conn_->buffer();
    std::size_t framing = 0;
    const std::string_view body = framing_.body(buffer_view(input), framing, ec);
    input.consume(framing);
    return body;
}

inline void stream_state::take_body(std::size_t n) {
    framing_.take(n);
    conn_->buffer().consume(n);
}

inline void stream_state::end_drain(bool reusable) {
    conn_->expire_at(clock::time_point::max());
    client_->pool().release(std::move(conn_), reusable);
}

inline void stream_state::cancel_read(asio::cancellation_type type) {
    if (!in_flight_.load())
        return; // no async_next under way: nothing to cancel
    read_cancel_requested_ |= type;
    read_signal_.emit(type);
}

inline const std::shared_ptr<op_cancellation>& stream_state::canceller() {
    if (!canceller_ || canceller_->strand() != strand_) { // a retry moved the stream to another connection
        canceller_ = std::make_shared<op_cancellation>(strand_);
        canceller_->slot().assign([state = weak_from_this()](asio::cancellation_type type) {
            if (auto live = state.lock())
                live->cancel_read(type);
        });
    }
    return canceller_;
}

DGRID_DECL bool try_next_buffered(const std::shared_ptr<stream_state>& state, diagnostics* diag, error_code& ec,
                                  bool& has_chunk) {
    if (!state)
        return false;
    diagnostics* out = diag ? diag : &state->own_diagnostics();
    out->clear();
    switch (state->step(*out)) {
    case stream_state::step_result::chunk:
        ec = {};
        has_chunk = true;
        return true;
    case stream_state::step_result::failed:
        // Before the first chunk a failure may still be retried.
        if (state->may_retry())
            return false;
        *out = state->failure_diagnostics();
        ec = state->failure();
        has_chunk = false;
        return true;
    case stream_state::step_result::end:
        ec = {};
        has_chunk = false;
        return !state->connected(); // else the rest of the message is read first
    case stream_state::step_result::need_bytes: return false;
    }
    return false;
}

DGRID_DECL asio::any_io_executor stream_executor(const std::shared_ptr<stream_state>& state) {
    return state->get_executor();
}

DGRID_DECL unsigned& nested_resumptions() noexcept {
    thread_local unsigned nesting = 0;
    return nesting;
}

DGRID_DECL diagnostics* stream_diagnostics(const std::shared_ptr<stream_state>& state) noexcept {
    return state ? &state->own_diagnostics() : nullptr;
}

DGRID_DECL void async_next_erased(const std::shared_ptr<stream_state>& state, diagnostics* diag, next_handler handler) {
    if (!state) {
        if (diag)
            diag->message = "async_next on an empty chat_stream";
        auto ec = make_error_code(boost::system::errc::invalid_argument);
        asio::post(asio::system_executor(), asio::append(std::move(handler), ec, false));
        return;
    }
    diagnostics* out = diag ? diag : &state->own_diagnostics();
    // The state rides along to the handler, which may read its diagnostics.
    if (!state->may_retry() && state->connected()) {
        // The answer is under way: no retry is left to make, and the
        // stream's own canceller serves, with no allocation per read.
        const auto& canceller = state->canceller();
        state->begin_flight(canceller);
        auto completion = state->client().completion_with(std::move(handler), canceller, state);
        async_next_chunk(state, *out, {}, std::move(completion));
        return;
    }
    // A retry may replace the connection: the read gets a cancellation of
    // its own, on a strand the retry runs on.
    std::shared_ptr<op_cancellation> op;
    std::optional<op_cancellation::strand_type> strand;
    if (state->connected())
        strand = state->strand();
    auto completion = state->client().completion_for(std::move(handler), op, state, std::move(strand));
    state->begin_flight(op);
    async_next_chunk(state, *out, std::move(op), std::move(completion));
}

} // namespace detail

DGRID_DECL chat_stream& chat_stream::operator=(chat_stream&& other) noexcept {
    if (this != &other) {
        if (state_)
            state_->abandon();
        state_ = std::move(other.state_);
    }
    return *this;
}

DGRID_DECL chat_stream::~chat_stream() {
    if (state_)
        state_->abandon();
}

DGRID_DECL const chat_chunk& chat_stream::chunk() const noexcept { return state_->chunk(); }

DGRID_DECL const chat_completion& chat_stream::completion() const noexcept { return state_->completion(); }

DGRID_DECL const response_info& chat_stream::response() const noexcept { return state_->response(); }

DGRID_DECL bool chat_stream::done() const noexcept { return state_ && state_->done(); }

} // namespace dgrid

#endif
