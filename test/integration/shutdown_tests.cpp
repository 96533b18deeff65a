// client::async_shutdown: new operations are refused, those under way (open
// streams included) finish or are cancelled at the deadline, idle
// connections end with close_notify, then the handler runs.

#include "fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>

using namespace dgrid;
using namespace dgrid::test;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

asio::awaitable<void> sleep_for(milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(asio::use_awaitable);
}

// Waits up to a second for the emulator to have seen `expected` close_notifies.
std::uint64_t close_notifies(const emulator::server& server, std::uint64_t expected) {
    for (int i = 0; i < 100 && server.tls_close_notifies() < expected; ++i)
        std::this_thread::sleep_for(milliseconds(10));
    return server.tls_close_notifies();
}

} // namespace

BOOST_AUTO_TEST_SUITE(shutdown_tests)

BOOST_FIXTURE_TEST_CASE(what_is_under_way_finishes_first, emulator_fixture) {
    auto c = make_client();
    std::optional<call_result> called, streamed, refused_call, refused_stream;
    std::optional<steady::time_point> shut_at, call_at, stream_at;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            called = co_await chat_once(c, with_fault(echo_request("called"), "stall=300"));
            call_at = steady::now();
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            streamed = co_await stream_once(c, with_token_delay(echo_request("one two three four five six"), 30));
            stream_at = steady::now();
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await sleep_for(milliseconds(50)); // both under way
            c.async_shutdown([&](error_code ec) {
                BOOST_TEST(!ec);
                shut_at = steady::now();
            });
            refused_call = co_await chat_once(c, echo_request("too late"));
            refused_stream = co_await stream_once(c, echo_request("too late"));
        },
        asio::detached);
    io.run();
    BOOST_TEST_REQUIRE((called && streamed && refused_call && refused_stream && shut_at));
    BOOST_TEST(!called->ec, called->ec.message());
    BOOST_TEST(called->text == "called");
    BOOST_TEST(!streamed->ec, streamed->ec.message());
    BOOST_TEST(streamed->text == "one two three four five six");
    for (const call_result& refused : {*refused_call, *refused_stream}) {
        BOOST_TEST(refused.ec == error::pool_closed);
        BOOST_TEST(refused.diag.message == "the client is shutting down");
    }
    BOOST_TEST((*shut_at >= *call_at && *shut_at >= *stream_at));
    BOOST_TEST(c.stats().open == 0u);
    BOOST_TEST(close_notifies(server, 2) == 2u); // both connections ended cleanly
}

BOOST_FIXTURE_TEST_CASE(at_the_deadline_what_is_under_way_is_cancelled, emulator_fixture) {
    auto c = make_client();
    std::optional<call_result> called, streamed;
    std::optional<steady::time_point> shut_at;
    const auto started = steady::now();
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> { called = co_await chat_once(c, with_fault(echo_request("x"), "stall=5000")); },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            streamed = co_await stream_once(c, with_fault(echo_request("a b c"), "stall-stream=5000"));
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await sleep_for(milliseconds(100));
            co_await c.async_shutdown(milliseconds(200));
            shut_at = steady::now();
        },
        asio::detached);
    io.run();
    BOOST_TEST_REQUIRE((called && streamed && shut_at));
    BOOST_TEST(called->ec == asio::error::operation_aborted, called->ec.message());
    BOOST_TEST(streamed->ec == asio::error::operation_aborted, streamed->ec.message());
    BOOST_TEST(streamed->text == "a "); // what came before the stall
    BOOST_TEST((*shut_at - started >= milliseconds(300)));
    BOOST_TEST((*shut_at - started < milliseconds(3000)));
    BOOST_TEST(c.stats().open == 0u);
}

// An open stream nobody reads counts as under way: it holds a shutdown
// without a deadline up until it goes; past a deadline it is not waited
// for, and can still be read to its end.
BOOST_FIXTURE_TEST_CASE(a_stream_nobody_reads, emulator_fixture) {
    auto c = make_client();
    std::optional<steady::time_point> shut_at, dropped_at;
    run([&]() -> asio::awaitable<void> {
        const chat_request request = echo_request("held open");
        std::optional<chat_stream> stream = co_await c.async_chat_stream(request);
        c.async_shutdown([&](error_code) { shut_at = steady::now(); });
        co_await sleep_for(milliseconds(100));
        BOOST_TEST(!shut_at.has_value());
        dropped_at = steady::now();
        stream.reset();
        co_await sleep_for(milliseconds(50));
    }());
    BOOST_TEST_REQUIRE(shut_at.has_value());
    BOOST_TEST((*shut_at >= *dropped_at));

    auto late = make_client();
    std::string text;
    run([&]() -> asio::awaitable<void> {
        const chat_request request = echo_request("read after the shutdown");
        chat_stream stream = co_await late.async_chat_stream(request);
        co_await late.async_shutdown(milliseconds(50));
        while (co_await stream.async_next())
            text += stream.chunk().text();
    }());
    BOOST_TEST(text == "read after the shutdown");
    BOOST_TEST(late.stats().open == 0u); // closed when it came back, not pooled
}

BOOST_FIXTURE_TEST_CASE(an_idle_client_shuts_down_at_once, emulator_fixture) {
    auto c = make_client();
    BOOST_TEST(chat(c, echo_request("x")).text == "x");
    BOOST_TEST(c.stats().idle == 1u);
    const auto started = steady::now();
    run([&]() -> asio::awaitable<void> {
        co_await c.async_shutdown();
        co_await c.async_shutdown(); // again: nothing left to wait for
    }());
    BOOST_TEST((steady::now() - started < milliseconds(1000)));
    BOOST_TEST(c.stats().open == 0u);
    BOOST_TEST(close_notifies(server, 1) == 1u);
    BOOST_TEST(chat(c, echo_request("x")).ec == error::pool_closed);
}

BOOST_AUTO_TEST_SUITE_END()
