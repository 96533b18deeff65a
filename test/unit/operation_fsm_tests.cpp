// The life of one request as a state machine, driven without sockets: every
// step, the retry rules, the deadlines and cancellation in each phase.
#include <dgrid/detail/engine/operation_fsm.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <ostream>
#include <string_view>

namespace dgrid::detail {
inline std::ostream& operator<<(std::ostream& out, operation_step step) {
    constexpr const char* names[] = {"acquire", "write",     "read_header", "read_body",
                                     "release", "interpret", "wait",        "done"};
    return out << names[static_cast<int>(step)];
}
} // namespace dgrid::detail

using namespace dgrid;
using namespace dgrid::detail;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

namespace aerr = boost::asio::error;
namespace http = boost::beast::http;

constexpr std::string_view ok_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n";
constexpr std::string_view stream_head =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
constexpr std::string_view busy_head =
    "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n";

// No jitter: each wait is the policy's backoff exactly.
double no_jitter() { return 0.0; }

// A machine for one operation at a fixed start time, with a budget of its own.
struct machine {
    client_options options;
    retry_budget budget;
    diagnostics diag;
    clock::time_point t0 = clock::time_point() + std::chrono::hours(1);
    operation_fsm fsm;

    // `call`: the request's own options over `opts`.
    explicit machine(operation_kind kind, client_options opts = defaults(), milliseconds total = seconds(60),
                     const request_options& call = {})
        : options(std::move(opts)), budget(options.retry),
          fsm(kind, options, request_limits::of(options, call, kind == operation_kind::stream), budget,
              total.count() > 0 ? t0 + total : clock::time_point::max(), &no_jitter) {}

    static client_options defaults() {
        client_options o;
        o.timeouts.headers = seconds(10);
        o.retry.initial_backoff = milliseconds(100);
        return o;
    }

    operation_step start() { return fsm.resume({{}, t0}, diag); }

    operation_step step(error_code ec = {}, milliseconds at = {}, bool cancelled = false, bool reused = false) {
        return fsm.resume({ec, t0 + at, cancelled, reused}, diag);
    }

    // Feeds `bytes` of the response to the parser, as a read would.
    void receive(std::string_view bytes) {
        error_code ec;
        fsm.response().put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
        BOOST_TEST_REQUIRE((!ec || ec == http::error::need_more), ec.message());
    }

    // From the start to the request written on a connection.
    void to_read_header(bool reused = false) {
        BOOST_TEST_REQUIRE(start() == operation_step::acquire);
        BOOST_TEST_REQUIRE(step({}, {}, false, reused) == operation_step::write);
        BOOST_TEST_REQUIRE(step() == operation_step::read_header);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(operation_fsm_tests)

BOOST_AUTO_TEST_CASE(a_call_walks_every_step) {
    machine m(operation_kind::call);
    BOOST_TEST(m.start() == operation_step::acquire);
    BOOST_TEST(!m.fsm.fresh());
    BOOST_TEST(m.step() == operation_step::write);
    BOOST_TEST(m.diag.attempts == 1u);
    BOOST_CHECK(m.fsm.deadline() == m.t0 + seconds(10)); // the headers' deadline
    BOOST_TEST(m.step({}, milliseconds(1)) == operation_step::read_header);
    m.receive(ok_head);
    BOOST_TEST(m.step({}, milliseconds(2)) == operation_step::read_body);
    BOOST_CHECK(m.fsm.deadline() == m.t0 + seconds(60)); // the body's: the total
    m.receive("{}");
    BOOST_TEST(m.step({}, milliseconds(3)) == operation_step::release);
    BOOST_TEST(m.fsm.reusable());
    BOOST_TEST(m.step() == operation_step::interpret);
    BOOST_TEST(m.step() == operation_step::done);
    BOOST_TEST(!m.fsm.error());
    BOOST_TEST(m.fsm.attempts() == 1u);
    BOOST_TEST(m.fsm.retries() == 0u);
    BOOST_TEST(m.step() == operation_step::done); // and stays done
}

BOOST_AUTO_TEST_CASE(a_response_without_keep_alive_closes_its_connection) {
    machine m(operation_kind::call);
    m.to_read_header();
    m.receive("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n");
    BOOST_TEST(m.step() == operation_step::read_body);
    m.receive("{}");
    BOOST_TEST(m.step() == operation_step::release);
    BOOST_TEST(!m.fsm.reusable());
}

BOOST_AUTO_TEST_CASE(the_headers_deadline_never_passes_the_total) {
    machine m(operation_kind::call, machine::defaults(), seconds(3));
    m.start();
    BOOST_TEST(m.step() == operation_step::write);
    BOOST_CHECK(m.fsm.deadline() == m.t0 + seconds(3));
}

BOOST_AUTO_TEST_CASE(a_stream_opens_at_its_head_and_keeps_the_connection) {
    machine m(operation_kind::stream);
    m.to_read_header();
    m.receive(stream_head);
    BOOST_TEST(m.step() == operation_step::done);
    BOOST_TEST(!m.fsm.error());
    BOOST_TEST(m.fsm.response().chunked());
}

BOOST_AUTO_TEST_CASE(a_stream_refused_reads_the_error_body_then_retries) {
    machine m(operation_kind::stream);
    m.to_read_header();
    m.receive(busy_head);
    BOOST_TEST(m.step({}, seconds(1)) == operation_step::read_body);
    BOOST_CHECK(m.fsm.deadline() == m.t0 + seconds(11)); // the headers' timeout, from now
    m.receive("{}");
    BOOST_TEST(m.step() == operation_step::release);
    BOOST_TEST(m.fsm.reusable());
    BOOST_TEST(m.step() == operation_step::interpret);
    m.diag.retry_after = milliseconds(1234); // as read from the response
    m.diag.message = "slow down";
    BOOST_TEST(m.step(error::rate_limited, seconds(1)) == operation_step::wait);
    BOOST_TEST(m.fsm.delay().count() == 1234);
    BOOST_TEST(m.step({}, seconds(3)) == operation_step::acquire);
    BOOST_TEST(m.diag.message.empty()); // what the failed attempt said is forgotten
    BOOST_TEST(m.diag.attempts == 1u);  // but it is counted
    BOOST_TEST(m.step() == operation_step::write);
    BOOST_TEST(m.diag.attempts == 2u);
}

BOOST_AUTO_TEST_CASE(a_cut_error_body_still_reports_its_status) {
    machine m(operation_kind::stream);
    m.to_read_header();
    m.receive(busy_head);
    BOOST_TEST(m.step() == operation_step::read_body);
    BOOST_TEST(m.step(http::error::partial_message) == operation_step::release);
    BOOST_TEST(!m.fsm.reusable());
    BOOST_TEST(m.step() == operation_step::interpret);
}

BOOST_AUTO_TEST_CASE(a_reused_connection_lost_while_idle_is_replaced_once) {
    for (error_code lost :
         {error_code(aerr::eof), error_code(aerr::connection_reset), error_code(aerr::broken_pipe),
          error_code(http::error::end_of_stream), error_code(boost::asio::ssl::error::stream_truncated)}) {
        BOOST_TEST_CONTEXT(lost.message()) {
            machine m(operation_kind::call);
            m.to_read_header(true);
            BOOST_TEST(m.step(lost) == operation_step::release);
            BOOST_TEST(!m.fsm.reusable());
            BOOST_TEST(m.step() == operation_step::acquire);
            BOOST_TEST(m.fsm.fresh()); // a new connection, not another pooled one
            BOOST_TEST(m.fsm.retries() == 0u);
            // The new one fails the same way: that is the attempt's failure.
            BOOST_TEST(m.step({}, {}, false, true) == operation_step::write);
            BOOST_TEST(m.step() == operation_step::read_header);
            BOOST_TEST(m.step(lost) == operation_step::release);
            BOOST_TEST(m.step() == operation_step::wait);
            BOOST_TEST(m.diag.attempts == 2u);
            // A retry may again replace a stale connection.
            BOOST_TEST(m.step() == operation_step::acquire);
            BOOST_TEST(!m.fsm.fresh());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_failure_is_not_a_lost_idle_connection_when) {
    { // the connection is new
        machine m(operation_kind::call);
        m.to_read_header(false);
        BOOST_TEST(m.step(aerr::eof) == operation_step::release);
        BOOST_TEST(m.step() == operation_step::wait);
    }
    { // part of the response came
        machine m(operation_kind::call);
        m.to_read_header(true);
        m.receive("HTTP/1.1 200 OK\r\n");
        BOOST_TEST(m.step(aerr::eof) == operation_step::release);
        BOOST_TEST(m.step() == operation_step::wait);
    }
    { // the error says something else
        machine m(operation_kind::call);
        m.to_read_header(true);
        BOOST_TEST(m.step(aerr::host_unreachable) == operation_step::release);
        BOOST_TEST(m.step() == operation_step::wait);
    }
}

BOOST_AUTO_TEST_CASE(backoff_doubles_until_the_retries_run_out) {
    machine m(operation_kind::call);
    m.start();
    for (unsigned retry = 0; retry < 2; ++retry) {
        BOOST_TEST(m.step(aerr::connection_refused) == operation_step::wait);
        BOOST_TEST(m.fsm.delay().count() == 100 << retry);
        BOOST_TEST(m.step() == operation_step::acquire);
    }
    BOOST_TEST(m.step(aerr::connection_refused) == operation_step::done);
    BOOST_CHECK(m.fsm.error() == aerr::connection_refused);
    BOOST_TEST(m.fsm.retries() == 2u);
    BOOST_TEST(m.diag.attempts == 0u); // no connection was ever had
}

BOOST_AUTO_TEST_CASE(a_request_s_options_replace_the_client_s_retries_and_deadlines) {
    request_options call;
    call.max_retries = 0;
    call.headers_timeout = seconds(2);
    machine once(operation_kind::call, machine::defaults(), seconds(60), call);
    once.start();
    BOOST_TEST(once.step() == operation_step::write);
    BOOST_CHECK(once.fsm.deadline() == once.t0 + seconds(2));
    BOOST_TEST(once.step() == operation_step::read_header);
    BOOST_TEST(once.step(aerr::connection_reset) == operation_step::release);
    BOOST_TEST(once.step() == operation_step::done); // the client's two retries do not apply
    BOOST_CHECK(once.fsm.error() == aerr::connection_reset);

    client_options never = machine::defaults();
    never.retry.max_retries = 0;
    call = {};
    call.max_retries = 3;
    machine thrice(operation_kind::stream, never, seconds(60), call);
    thrice.start();
    for (unsigned retry = 0; retry < 3; ++retry)
        BOOST_TEST_REQUIRE((thrice.step(aerr::connection_refused) == operation_step::wait &&
                            thrice.step() == operation_step::acquire));
    BOOST_TEST(thrice.step(aerr::connection_refused) == operation_step::done);
    BOOST_TEST(thrice.fsm.retries() == 3u);

    // A stream's total is timeouts.stream_total, a call's timeouts.total: the
    // request's total_timeout replaces whichever applies.
    call = {};
    call.total_timeout = seconds(7);
    call.stream_idle_timeout = seconds(3);
    for (bool stream : {false, true}) {
        const request_limits limits = request_limits::of(machine::defaults(), call, stream);
        BOOST_TEST(limits.total.count() == 7000);
        BOOST_TEST(limits.stream_idle.count() == 3000);
        BOOST_TEST(limits.headers.count() == 10000);
        BOOST_TEST(limits.max_retries == 2u);
    }
    const request_limits client_s = request_limits::of(machine::defaults(), {}, true);
    BOOST_TEST(client_s.total.count() == 0); // stream_total: none by default
}

BOOST_AUTO_TEST_CASE(what_is_not_retried) {
    { // a status the policy does not retry
        machine m(operation_kind::call);
        m.to_read_header();
        m.receive(ok_head);
        m.step();
        m.receive("{}");
        m.step();
        m.step();
        BOOST_TEST(m.step(error::bad_request) == operation_step::done);
        BOOST_CHECK(m.fsm.error() == error::bad_request);
    }
    { // the server said not to
        machine m(operation_kind::call);
        m.start();
        m.diag.should_retry = false;
        BOOST_TEST(m.step(aerr::connection_refused) == operation_step::done);
    }
    { // retries turned off
        client_options o = machine::defaults();
        o.retry.max_retries = 0;
        machine m(operation_kind::call, o);
        m.start();
        BOOST_TEST(m.step(aerr::connection_refused) == operation_step::done);
    }
    { // the wait would end past the total deadline
        machine m(operation_kind::call, machine::defaults(), milliseconds(1000));
        m.start();
        BOOST_TEST(m.step(aerr::connection_refused, milliseconds(950)) == operation_step::done);
    }
    { // the client's budget is spent
        client_options o = machine::defaults();
        o.retry.budget_min_retries = 0;
        o.retry.budget_ratio = 0;
        machine m(operation_kind::call, o);
        m.start();
        BOOST_TEST(m.step(aerr::connection_refused) == operation_step::done);
    }
}

BOOST_AUTO_TEST_CASE(the_server_s_wait_is_honoured_up_to_the_policy_s_limit) {
    machine m(operation_kind::call);
    m.start();
    m.diag.retry_after = seconds(61);
    BOOST_TEST(m.step(error::rate_limited) == operation_step::wait);
    BOOST_TEST(m.fsm.delay().count() == 100); // the computed backoff instead
}

BOOST_AUTO_TEST_CASE(each_deadline_becomes_its_phase_s_error) {
    const auto timeout = error_code(boost::beast::error::timeout);
    { // connecting
        machine m(operation_kind::call);
        m.start();
        m.diag.should_retry = false;
        m.step(timeout, seconds(1));
        BOOST_CHECK(m.fsm.error() == error::connect_timeout);
    }
    { // the headers
        machine m(operation_kind::call);
        m.to_read_header();
        m.diag.should_retry = false;
        m.step(timeout, seconds(10));
        m.step();
        BOOST_CHECK(m.fsm.error() == error::headers_timeout);
        BOOST_TEST(m.diag.message ==
                   "no response headers within the headers timeout (timeouts.headers or request_options)");
    }
    { // the headers, at the total deadline
        machine m(operation_kind::call, machine::defaults(), seconds(5));
        m.to_read_header();
        m.step(timeout, seconds(5));
        BOOST_TEST(m.step({}, seconds(5)) == operation_step::done);
        BOOST_CHECK(m.fsm.error() == error::total_timeout);
    }
    { // the body
        machine m(operation_kind::call);
        m.to_read_header();
        m.receive(ok_head);
        m.step();
        m.diag.should_retry = false;
        m.step(timeout, seconds(59));
        m.step();
        BOOST_CHECK(m.fsm.error() == error::total_timeout);
    }
    { // the deadline's timer cancelled a wait for a connection
        machine m(operation_kind::call, machine::defaults(), seconds(5));
        m.start();
        BOOST_TEST(m.step(aerr::operation_aborted, seconds(5)) == operation_step::done);
        BOOST_CHECK(m.fsm.error() == error::total_timeout);
    }
}

BOOST_AUTO_TEST_CASE(operation_error_maps_the_transport_s_errors) {
    const auto t0 = clock::time_point() + std::chrono::hours(1);
    const auto total = t0 + seconds(10);
    const auto timeout = error_code(boost::beast::error::timeout);
    BOOST_CHECK(operation_error(timeout, operation_phase::stream_read, t0, total) == error::stream_idle_timeout);
    BOOST_CHECK(operation_error(timeout, operation_phase::stream_read, total, total) == error::total_timeout);
    BOOST_CHECK(operation_error(aerr::eof, operation_phase::stream_read, t0, total) == error::stream_truncated);
    BOOST_CHECK(operation_error(http::error::partial_message, operation_phase::stream_read, t0, total) ==
                error::stream_truncated);
    BOOST_CHECK(operation_error(aerr::eof, operation_phase::body, t0, total) == aerr::eof);
    BOOST_CHECK(operation_error(http::error::body_limit, operation_phase::body, t0, total) ==
                error::response_too_large);
    BOOST_CHECK(operation_error(http::error::header_limit, operation_phase::headers, t0, total) ==
                error::headers_too_large);
    BOOST_CHECK(operation_error(aerr::operation_aborted, operation_phase::headers, t0, total) ==
                aerr::operation_aborted);
    BOOST_CHECK(operation_error(aerr::operation_aborted, operation_phase::headers, t0, clock::time_point::max()) ==
                aerr::operation_aborted);
}

BOOST_AUTO_TEST_CASE(cancellation_in_every_phase_ends_the_operation) {
    // A step that ended as `ec` with the operation cancelled: its connection
    // is closed, and the operation ends aborted.
    const auto ends_aborted = [](machine& m, error_code ec = {}) {
        BOOST_TEST(m.step(ec, {}, true) == operation_step::release);
        BOOST_TEST(!m.fsm.reusable());
        BOOST_TEST(m.step({}, {}, true) == operation_step::done);
        BOOST_CHECK(m.fsm.error() == aerr::operation_aborted);
    };
    { // with the connection just acquired
        machine m(operation_kind::call);
        m.start();
        ends_aborted(m);
    }
    { // after the write
        machine m(operation_kind::call);
        m.start();
        m.step();
        ends_aborted(m);
    }
    for (auto kind : {operation_kind::call, operation_kind::stream}) { // after the head
        machine m(kind);
        m.to_read_header();
        m.receive(kind == operation_kind::call ? ok_head : stream_head);
        ends_aborted(m);
    }
    { // a read aborted
        machine m(operation_kind::call);
        m.to_read_header();
        ends_aborted(m, aerr::operation_aborted);
    }
    { // while waiting to retry
        machine m(operation_kind::call);
        m.start();
        m.diag.message = "connection refused";
        BOOST_TEST(m.step(aerr::connection_refused) == operation_step::wait);
        BOOST_TEST(m.step(aerr::operation_aborted, {}, true) == operation_step::done);
        BOOST_CHECK(m.fsm.error() == aerr::operation_aborted);
        BOOST_TEST(m.diag.message == "cancelled while waiting to retry");
    }
    { // while waiting to retry, by the total deadline
        machine m(operation_kind::call, machine::defaults(), seconds(1));
        m.start();
        BOOST_TEST(m.step(aerr::connection_refused) == operation_step::wait);
        BOOST_TEST(m.step(aerr::operation_aborted, seconds(1), true) == operation_step::done);
        BOOST_CHECK(m.fsm.error() == error::total_timeout);
    }
    { // waiting for a connection
        machine m(operation_kind::call);
        m.start();
        BOOST_TEST(m.step(aerr::operation_aborted, {}, true) == operation_step::done);
        BOOST_CHECK(m.fsm.error() == aerr::operation_aborted);
    }
}

BOOST_AUTO_TEST_CASE(a_stream_that_fails_while_read_is_sent_again_within_the_same_retries) {
    machine m(operation_kind::stream);
    m.to_read_header();
    m.receive(stream_head);
    BOOST_TEST(m.step() == operation_step::done);
    BOOST_TEST(m.fsm.stream_failed(error::stream_truncated, m.t0, m.diag) == operation_step::wait);
    BOOST_TEST(m.step() == operation_step::acquire);
    BOOST_TEST(m.step() == operation_step::write);
    BOOST_TEST(m.step() == operation_step::read_header);
    m.receive(stream_head);
    BOOST_TEST(m.step() == operation_step::done);
    BOOST_TEST(m.fsm.attempts() == 2u);
    BOOST_TEST(m.fsm.stream_failed(error::stream_idle_timeout, m.t0, m.diag) == operation_step::wait);
    m.step();
    m.step();
    m.step();
    m.receive(stream_head);
    BOOST_TEST(m.step() == operation_step::done);
    BOOST_TEST(m.fsm.attempts() == 3u);
    // Two retries were the policy's: the third failure is final.
    BOOST_TEST(m.fsm.stream_failed(error::stream_truncated, m.t0, m.diag) == operation_step::done);
    BOOST_CHECK(m.fsm.error() == error::stream_truncated);
    BOOST_TEST(m.fsm.stream_failed(aerr::operation_aborted, m.t0, m.diag) == operation_step::done);
}

BOOST_AUTO_TEST_SUITE_END()
