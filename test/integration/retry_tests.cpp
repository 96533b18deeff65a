// Retries and deadlines end to end: what is sent again, how long the client
// waits, what it gives up on, and the phase each timeout names.

#include "fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <thread>

using namespace dgrid;
using namespace dgrid::test;

namespace {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

client_options retrying(const emulator_fixture& f) {
    auto options = f.client_options_for();
    options.retry.max_retries = 2;
    options.retry.initial_backoff = milliseconds(20);
    options.retry.max_backoff = milliseconds(100);
    // The emulator's 429 and 503 ask for a second: not worth waiting for here.
    options.retry.max_retry_after = milliseconds(10);
    return options;
}

// Retries that wait two seconds: time to let a stream go meanwhile.
client_options retrying_two_seconds_later(const emulator_fixture& f) {
    auto options = retrying(f);
    options.retry.initial_backoff = milliseconds(2000);
    options.retry.max_backoff = milliseconds(2000);
    options.retry.jitter = 0;
    return options;
}

// A fault for the first `times` requests carrying `id` only.
test_call failing(std::string fault, int times, std::string id, std::string text = "retried") {
    return with_fault(echo_request(std::move(text)),
                      fault + ",fail-times=" + std::to_string(times) + ",id=" + std::move(id));
}

} // namespace

BOOST_AUTO_TEST_SUITE(retries)

BOOST_FIXTURE_TEST_CASE(a_500_then_success, emulator_fixture) {
    auto c = make_client(retrying(*this));
    auto result = chat(c, failing("status=500", 1, "500-once"));
    BOOST_TEST(!result.ec, result.ec.message());
    BOOST_TEST(result.text == "retried");
    BOOST_TEST(result.diag.attempts == 2u);
}

BOOST_FIXTURE_TEST_CASE(reset_before_headers_is_retried, emulator_fixture) {
    auto c = make_client(retrying(*this));
    auto result = chat(c, failing("reset-before-headers", 2, "reset-twice"));
    BOOST_TEST(!result.ec, result.ec.message());
    BOOST_TEST(result.diag.attempts == 3u);
}

BOOST_FIXTURE_TEST_CASE(retries_run_out_and_the_diagnostics_count_them, emulator_fixture) {
    auto c = make_client(retrying(*this));
    auto result = chat(c, with_fault(echo_request("x"), "status=502"));
    BOOST_TEST(result.ec == error::bad_gateway);
    BOOST_TEST(result.diag.attempts == 3u);
    BOOST_TEST(std::string(error_with_diagnostics(result.ec, result.diag).what()).find("3 attempts") !=
               std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(client_errors_are_not_retried, emulator_fixture) {
    auto c = make_client(retrying(*this));
    for (const char* status : {"400", "401", "403", "404", "422"}) {
        auto result = chat(c, with_fault(echo_request("x"), std::string("status=") + status));
        BOOST_TEST(result.diag.attempts == 1u, status);
    }
    for (const char* status : {"408", "409", "429", "500", "503", "504"}) {
        auto result = chat(c, failing(std::string("status=") + status, 1, std::string("once-") + status));
        BOOST_TEST(!result.ec, status);
        BOOST_TEST(result.diag.attempts == 2u, status);
    }
}

BOOST_FIXTURE_TEST_CASE(x_should_retry_overrides_the_status, emulator_fixture) {
    auto c = make_client(retrying(*this));
    auto result = chat(c, failing("status=400,should-retry=true", 1, "400-retry"));
    BOOST_TEST(!result.ec, result.ec.message());
    BOOST_TEST(result.diag.attempts == 2u);
    result = chat(c, failing("status=503,should-retry=false", 1, "503-no-retry"));
    BOOST_TEST(result.ec == error::service_unavailable);
    BOOST_TEST(result.diag.attempts == 1u);
    BOOST_TEST((result.diag.should_retry == false));
}

BOOST_FIXTURE_TEST_CASE(retry_after_is_honoured, emulator_fixture) {
    auto options = retrying(*this);
    options.retry.max_retry_after = std::chrono::seconds(5);
    auto c = make_client(options);
    auto started = steady::now();
    // The emulator asks for 1000 ms (retry-after-ms) with its 429.
    auto result = chat(c, failing("status=429", 1, "429-once"));
    auto waited = steady::now() - started;
    BOOST_TEST(!result.ec);
    BOOST_TEST((waited >= milliseconds(950)),
               "retried after " << std::chrono::duration_cast<milliseconds>(waited).count() << " ms");
}

BOOST_FIXTURE_TEST_CASE(a_retry_after_beyond_the_cap_falls_back_to_backoff, emulator_fixture) {
    auto c = make_client(retrying(*this));
    auto started = steady::now();
    auto result = chat(c, failing("status=429", 1, "429-capped"));
    BOOST_TEST(!result.ec);
    BOOST_TEST((steady::now() - started < milliseconds(900)));
}

BOOST_FIXTURE_TEST_CASE(an_empty_budget_allows_no_retry, emulator_fixture) {
    auto options = retrying(*this);
    options.retry.budget_min_retries = 0;
    options.retry.budget_ratio = 0;
    auto c = make_client(options);
    auto result = chat(c, failing("status=500", 1, "no-budget"));
    BOOST_TEST(result.ec == error::internal_server_error);
    BOOST_TEST(result.diag.attempts == 1u);
}

BOOST_FIXTURE_TEST_CASE(the_budget_caps_retries_during_an_outage, emulator_fixture) {
    auto options = retrying(*this);
    options.retry.budget_min_retries = 3;
    options.retry.budget_ratio = 0;
    auto c = make_client(options);
    unsigned attempts = 0;
    for (int i = 0; i < 5; ++i)
        attempts += chat(c, with_fault(echo_request("x"), "status=503")).diag.attempts;
    // 5 first attempts and only the 3 retries the budget holds.
    BOOST_TEST(attempts == 8u);
}

BOOST_FIXTURE_TEST_CASE(a_stream_is_retried_before_its_first_chunk, emulator_fixture) {
    auto c = make_client(retrying(*this));
    // An error status when the stream is opened.
    auto result = stream(c, failing("status=503", 1, "stream-503", "streamed after a retry"));
    BOOST_TEST(!result.ec, result.ec.message());
    BOOST_TEST(result.text == "streamed after a retry");
    // An error object before any token: no chunk reached the caller yet.
    result = stream(c, failing("stream-error=0", 1, "stream-error-0", "again after an error event"));
    BOOST_TEST(!result.ec, result.ec.message() << ": " << result.diag.message);
    BOOST_TEST(result.text == "again after an error event");
}

BOOST_FIXTURE_TEST_CASE(a_stream_is_not_retried_after_a_chunk_reached_the_caller, emulator_fixture) {
    auto c = make_client(retrying(*this));
    auto result = stream(c, failing("stream-error=3", 1, "stream-error-3", "a b c d e f"));
    BOOST_TEST(result.ec == error::stream_error);
    BOOST_TEST(result.text == "a b c ");
}

// Letting a stream go while its first async_next waits to retry ends that
// async_next: the request is not sent again, and the client goes on.
BOOST_FIXTURE_TEST_CASE(a_stream_let_go_while_waiting_to_retry_is_not_sent_again, emulator_fixture) {
    auto c = make_client(retrying_two_seconds_later(*this));
    error_code next_ec;
    bool next_done = false;
    run([&]() -> asio::awaitable<void> {
        const test_call request = failing("stream-error=0", 1, "let-go");
        std::optional<chat_stream> stream = co_await c.async_chat_stream(request.request, request.options);
        // Reads on while the stream is held: the role chunk comes, then the
        // error event, before any text, which makes the stream retry.
        std::function<void(error_code, bool)> read_on = [&](error_code ec, bool more) {
            if (!ec && more && stream)
                return stream->async_next(read_on);
            next_ec = ec;
            next_done = true;
        };
        stream->async_next(read_on);
        // The error event comes at once; the retry then waits two seconds.
        asio::steady_timer timer(io, milliseconds(200));
        co_await timer.async_wait(asio::use_awaitable);
        BOOST_TEST(!next_done);
        stream.reset();
    }());
    BOOST_TEST(next_done);
    BOOST_TEST(next_ec == asio::error::operation_aborted);
    BOOST_TEST(requests_served(server, 1) == 1u);
    BOOST_TEST(c.stats().open == 0u);
    auto result = stream(c, echo_request("still serving"));
    BOOST_TEST(!result.ec, result.ec.message());
    BOOST_TEST(result.text == "still serving");
}

// The same with the context run by two threads and the stream let go from a
// third: the cancellation reaches the operation through its strand.
BOOST_FIXTURE_TEST_CASE(a_stream_let_go_from_another_thread_while_waiting_to_retry, emulator_fixture) {
    auto options = retrying_two_seconds_later(*this);
    options.thread_safe = true;
    auto c = make_client(options);
    std::optional<chat_stream> stream = run([&]() -> asio::awaitable<chat_stream> {
        const test_call request = failing("stream-error=0", 1, "let-go-threads");
        co_return co_await c.async_chat_stream(request.request, request.options);
    }());
    // The role chunk, then the error event that makes the second async_next
    // wait to retry. `second_started` hands the stream over to this thread.
    std::atomic<bool> second_started{false};
    std::promise<error_code> ended;
    std::function<void(error_code, bool)> read_on = [&](error_code ec, bool more) {
        if (!ec && more && !second_started.load()) {
            stream->async_next(read_on);
            second_started.store(true);
            return;
        }
        ended.set_value(ec);
    };
    asio::post(io, [&] { stream->async_next(read_on); });
    auto guard = asio::make_work_guard(io);
    io.restart();
    std::thread first([&] { io.run(); });
    std::thread second([&] { io.run(); });
    for (int i = 0; i < 200 && !second_started.load(); ++i)
        std::this_thread::sleep_for(milliseconds(10));
    const bool started = second_started.load();
    if (started) {
        std::this_thread::sleep_for(milliseconds(200)); // the error event arrives; the retry waits
        stream.reset();
    }
    auto outcome = ended.get_future();
    const bool finished = started && outcome.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    guard.reset();
    if (!finished)
        io.stop();
    first.join();
    second.join();
    BOOST_TEST(started);
    BOOST_TEST(finished);
    if (finished)
        BOOST_TEST(outcome.get() == asio::error::operation_aborted);
    BOOST_TEST(requests_served(server, 1) == 1u);
    BOOST_TEST(c.stats().open == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(deadlines)

BOOST_FIXTURE_TEST_CASE(the_total_deadline_covers_every_attempt, emulator_fixture) {
    auto options = retrying(*this);
    options.timeouts.total = milliseconds(300);
    auto c = make_client(options);
    auto started = steady::now();
    auto result = chat(c, with_fault(echo_request("x"), "stall=5000"));
    BOOST_TEST(result.ec == error::total_timeout);
    BOOST_TEST((steady::now() - started < milliseconds(3000)));
}

BOOST_FIXTURE_TEST_CASE(the_total_deadline_covers_waiting_for_a_connection, emulator_fixture) {
    auto options = client_options_for();
    options.pool.max_size = 1;
    options.timeouts.total = milliseconds(300);
    auto c = make_client(options);
    // An open stream holds the only connection (streams have no total deadline).
    auto held = run([&]() -> asio::awaitable<chat_stream> {
        const test_call slow = with_token_delay(echo_request("slow stream"), 5000);
        co_return co_await c.async_chat_stream(slow.request, slow.options);
    }());
    auto started = steady::now();
    auto result = chat(c, echo_request("queued"));
    BOOST_TEST(result.ec == error::total_timeout);
    BOOST_TEST((steady::now() - started < milliseconds(3000)));
    BOOST_TEST(c.stats().waiting == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_stalled_stream_hits_the_idle_deadline, emulator_fixture) {
    auto options = client_options_for();
    options.timeouts.stream_idle = milliseconds(200);
    auto c = make_client(options);
    auto result = stream(c, with_fault(echo_request("a b c"), "stall-stream=3000"));
    BOOST_TEST(result.ec == error::stream_idle_timeout);
    BOOST_TEST(result.text == "a ");
    BOOST_TEST(c.stats().open == 0u);
}

BOOST_FIXTURE_TEST_CASE(keep_alive_comments_do_not_count_as_progress, emulator_fixture) {
    auto options = client_options_for();
    options.timeouts.stream_idle = milliseconds(300);
    auto c = make_client(options);
    // During the stall the emulator sends ": PING" every 50 ms.
    auto result = stream(c, with_fault(echo_request("a b c"), "stall-stream=2000,keepalive"));
    BOOST_TEST(result.ec == error::stream_idle_timeout);
    BOOST_TEST(result.text == "a ");
}

BOOST_FIXTURE_TEST_CASE(slow_tokens_within_the_idle_deadline_are_fine, emulator_fixture) {
    auto options = client_options_for();
    options.timeouts.stream_idle = milliseconds(500);
    auto c = make_client(options);
    auto request = with_token_delay(echo_request("one two three four"), 100);
    auto result = stream(c, request);
    BOOST_TEST(!result.ec);
    BOOST_TEST(result.text == "one two three four");
}

// The idle deadline counts while the stream waits for the server, not while
// the caller works on a chunk: here each token comes 600 ms after the last,
// the caller takes 400 ms over each, and 400 ms of silence are allowed.
BOOST_FIXTURE_TEST_CASE(the_callers_time_does_not_count_as_idle, emulator_fixture) {
    auto options = client_options_for();
    options.timeouts.stream_idle = milliseconds(400);
    auto c = make_client(options);
    auto request = with_token_delay(echo_request("one two"), 600);
    const call_result result = run([&]() -> asio::awaitable<call_result> {
        call_result r;
        auto token = asio::as_tuple(asio::use_awaitable);
        auto [ec, stream] = co_await c.async_chat_stream(request.request, request.options, r.diag, token);
        r.ec = ec;
        asio::steady_timer work(co_await asio::this_coro::executor);
        while (!r.ec) {
            auto [next_ec, more] = co_await stream.async_next(r.diag, token);
            r.ec = next_ec;
            if (next_ec || !more)
                break;
            r.text += stream.chunk().text();
            work.expires_after(milliseconds(400));
            co_await work.async_wait(token);
        }
        co_return r;
    }());
    BOOST_TEST(!result.ec, result.ec.message() << ": " << result.diag.message);
    BOOST_TEST(result.text == "one two");
}

BOOST_FIXTURE_TEST_CASE(the_stream_total_deadline, emulator_fixture) {
    auto options = client_options_for();
    options.timeouts.stream_total = milliseconds(300);
    auto c = make_client(options);
    auto request = with_token_delay(echo_request("one two three four five six seven eight"), 100);
    auto result = stream(c, request);
    BOOST_TEST(result.ec == error::total_timeout);
    BOOST_TEST(!result.text.empty());
}

BOOST_AUTO_TEST_SUITE_END()
