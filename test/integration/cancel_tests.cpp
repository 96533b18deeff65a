// Cancellation: per operation through Asio cancellation slots (here with the
// awaitable || operator), and client-wide, from another thread. A cancelled
// operation leaves no connection in the pool and the client carries on.

#include "fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace dgrid;
using namespace dgrid::test;
using namespace asio::experimental::awaitable_operators;
using std::chrono::milliseconds;

namespace {

// Races `async_chat` against a timer; returns the chat's error, or success
// if it won.
asio::awaitable<error_code> chat_or_timeout(client& c, test_call call, milliseconds limit) {
    asio::steady_timer timer(co_await asio::this_coro::executor, limit);
    auto token = asio::as_tuple(asio::use_awaitable);
    auto winner = co_await (c.async_chat(call.request, call.options, token) || timer.async_wait(token));
    if (winner.index() == 0)
        co_return std::get<0>(std::get<0>(winner));
    co_return asio::error::operation_aborted;
}

std::string ask(emulator_fixture& f, client& c, std::string text) {
    return f.run(
        [&]() -> asio::awaitable<std::string> { co_return (co_await c.async_chat(echo_request(text))).text(); }());
}

} // namespace

BOOST_AUTO_TEST_SUITE(cancellation)

BOOST_FIXTURE_TEST_CASE(a_request_waiting_for_its_response, emulator_fixture) {
    auto c = make_client();
    auto started = std::chrono::steady_clock::now();
    auto ec = run(chat_or_timeout(c, with_fault(echo_request("x"), "stall=5000"), milliseconds(100)));
    BOOST_TEST(ec == asio::error::operation_aborted);
    BOOST_TEST((std::chrono::steady_clock::now() - started < milliseconds(2000)));
    BOOST_TEST(c.stats().open == 0u); // the half-used connection was closed
    BOOST_TEST(ask(*this, c, "after cancel") == "after cancel");
}

BOOST_FIXTURE_TEST_CASE(a_request_waiting_for_a_connection, emulator_fixture) {
    auto options = client_options_for();
    options.pool.max_size = 1;
    auto c = make_client(options);
    std::atomic<bool> first_done{false};
    error_code second;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto token = asio::as_tuple(asio::use_awaitable);
            const test_call slow = with_fault(echo_request("slow"), "stall=300");
            co_await c.async_chat(slow.request, slow.options, token);
            first_done = true;
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            second = co_await chat_or_timeout(c, echo_request("queued"), milliseconds(50));
            // Cancelled while the only connection was busy.
            BOOST_TEST(!first_done.load());
        },
        asio::detached);
    io.run();
    BOOST_TEST(second == asio::error::operation_aborted);
    BOOST_TEST(first_done.load());
    auto stats = c.stats();
    BOOST_TEST(stats.waiting == 0u);
    BOOST_TEST(stats.open <= 1u);
    BOOST_TEST(ask(*this, c, "still served") == "still served");
}

BOOST_FIXTURE_TEST_CASE(a_request_waiting_to_be_retried, emulator_fixture) {
    auto options = client_options_for();
    options.retry.max_retries = 2;
    options.retry.initial_backoff = std::chrono::seconds(5);
    auto c = make_client(options);
    auto started = std::chrono::steady_clock::now();
    auto ec = run(chat_or_timeout(c, with_fault(echo_request("x"), "status=500"), milliseconds(100)));
    BOOST_TEST(ec == asio::error::operation_aborted);
    BOOST_TEST((std::chrono::steady_clock::now() - started < milliseconds(2000)));
}

BOOST_FIXTURE_TEST_CASE(opening_a_stream, emulator_fixture) {
    auto c = make_client();
    auto ec = run([&]() -> asio::awaitable<error_code> {
        asio::steady_timer timer(co_await asio::this_coro::executor, milliseconds(100));
        auto token = asio::as_tuple(asio::use_awaitable);
        const test_call stalled = with_fault(echo_request("x"), "stall=5000");
        auto winner =
            co_await (c.async_chat_stream(stalled.request, stalled.options, token) || timer.async_wait(token));
        if (winner.index() == 0)
            co_return std::get<0>(std::get<0>(winner));
        co_return asio::error::operation_aborted;
    }());
    BOOST_TEST(ec == asio::error::operation_aborted);
    BOOST_TEST(c.stats().open == 0u);
}

// Requests in flight and requests queued for a connection, cancelled at once
// by client::cancel() from a thread that does not run the context, with the
// client's strands or without.
static void cancel_from_another_thread(bool thread_safe) {
    emulator_fixture f;
    auto options = f.client_options_for();
    options.pool.max_size = 4;
    options.thread_safe = thread_safe;
    auto c = f.make_client(options);
    std::atomic<int> aborted{0};
    std::atomic<int> finished{0};
    constexpr int requests = 12; // 4 on the wire, 8 waiting
    const test_call stalled = with_fault(echo_request("x"), "stall=10000");
    for (int i = 0; i < requests; ++i)
        c.async_chat(stalled.request, stalled.options, [&](error_code ec, chat_completion) {
            if (ec == asio::error::operation_aborted)
                ++aborted;
            ++finished;
        });
    auto guard = asio::make_work_guard(f.io);
    std::thread runner([&] { f.io.run(); });
    for (int i = 0; i < 200 && f.server.connections_accepted() < 4; ++i)
        std::this_thread::sleep_for(milliseconds(10));
    std::this_thread::sleep_for(milliseconds(50));
    auto started = std::chrono::steady_clock::now();
    c.cancel();
    while (finished.load() < requests && std::chrono::steady_clock::now() - started < std::chrono::seconds(5))
        std::this_thread::sleep_for(milliseconds(5));
    BOOST_TEST(finished.load() == requests);
    BOOST_TEST(aborted.load() == requests);
    BOOST_TEST(c.stats().open == 0u);
    BOOST_TEST(c.stats().waiting == 0u);
    // Usable afterwards.
    // Started on the context's thread, as a client without strands needs.
    std::promise<std::string> answer;
    asio::post(f.io, [&] {
        c.async_chat(echo_request("after a cancel"), [&](error_code ec, chat_completion completion) {
            answer.set_value(ec ? ec.message() : completion.text());
        });
    });
    BOOST_TEST(answer.get_future().get() == "after a cancel");
    guard.reset();
    runner.join();
}

BOOST_AUTO_TEST_CASE(client_wide_cancel_from_another_thread) { cancel_from_another_thread(true); }

BOOST_AUTO_TEST_CASE(client_wide_cancel_from_another_thread_without_strands) { cancel_from_another_thread(false); }

BOOST_AUTO_TEST_SUITE_END()
