// The connection pool under concurrency: many requests on one client, reuse,
// servers that close keep-alive connections, and several threads at once.

#include "fixture.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace dgrid;
using namespace dgrid::test;

namespace {

// One request whose answer names its index, so that no reply can be mixed up.
asio::awaitable<bool> ask_numbered(client& c, int i) {
    auto text = "request number " + std::to_string(i);
    auto completion = co_await c.async_chat(echo_request(text));
    co_return completion.text() == text;
}

// Runs `count` requests at once on `c`; returns how many answered correctly.
int run_concurrently(emulator_fixture& f, client& c, int count) {
    std::atomic<int> correct{0};
    std::atomic<int> finished{0};
    for (int i = 0; i < count; ++i)
        asio::co_spawn(f.io, ask_numbered(c, i), [&](std::exception_ptr e, bool ok) {
            if (!e && ok)
                ++correct;
            ++finished;
        });
    f.io.restart();
    f.io.run();
    BOOST_TEST(finished.load() == count);
    return correct.load();
}

} // namespace

BOOST_AUTO_TEST_SUITE(pool)

BOOST_FIXTURE_TEST_CASE(sequential_requests_reuse_one_connection, emulator_fixture) {
    auto c = make_client();
    BOOST_TEST(run_concurrently(*this, c, 1) == 1);
    BOOST_TEST(run_concurrently(*this, c, 1) == 1);
    BOOST_TEST(run_concurrently(*this, c, 1) == 1);
    BOOST_TEST(server.connections_accepted() == 1u);
    BOOST_TEST(server.tls_handshakes() == 1u);
    BOOST_TEST(c.stats().idle == 1u);
}

BOOST_FIXTURE_TEST_CASE(concurrency_64_and_512_stay_within_max_size, emulator_fixture) {
    auto options = client_options_for();
    options.pool.max_size = 16;
    auto c = make_client(options);
    BOOST_TEST(run_concurrently(*this, c, 64) == 64);
    BOOST_TEST(server.connections_accepted() <= 16u);
    BOOST_TEST(run_concurrently(*this, c, 512) == 512);
    BOOST_TEST(server.connections_accepted() <= 16u);
    BOOST_TEST(requests_served(server, 576) == 576u);
    auto stats = c.stats();
    BOOST_TEST(stats.open <= 16u);
    BOOST_TEST(stats.waiting == 0u);
}

BOOST_FIXTURE_TEST_CASE(max_requests_per_connection_retires_connections, emulator_fixture) {
    auto options = client_options_for();
    options.pool.max_requests_per_connection = 2;
    auto c = make_client(options);
    for (int i = 0; i < 6; ++i)
        BOOST_TEST(run_concurrently(*this, c, 1) == 1);
    BOOST_TEST(server.connections_accepted() == 3u);
}

BOOST_FIXTURE_TEST_CASE(idle_timeout_closes_old_connections, emulator_fixture) {
    auto options = client_options_for();
    options.pool.idle_timeout = std::chrono::milliseconds(0);
    auto c = make_client(options);
    BOOST_TEST(run_concurrently(*this, c, 1) == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    BOOST_TEST(run_concurrently(*this, c, 1) == 1);
    BOOST_TEST(server.connections_accepted() == 2u);
}

// An idle connection closed by the client (idle timeout, retired, the
// client's end) is ended with TLS close_notify.
BOOST_FIXTURE_TEST_CASE(connections_closed_between_requests_send_close_notify, emulator_fixture) {
    auto options = client_options_for();
    options.pool.max_requests_per_connection = 1;
    {
        auto c = make_client(options);
        BOOST_TEST(run_concurrently(*this, c, 1) == 1); // retired after its request
        options.pool.max_requests_per_connection = 0;
        auto kept = make_client(options);
        BOOST_TEST(run_concurrently(*this, kept, 1) == 1); // idle until the client ends
    }
    for (int i = 0; i < 100 && server.tls_close_notifies() < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(server.tls_close_notifies() == 2u);
}

BOOST_AUTO_TEST_CASE(server_announcing_close_every_3_requests) {
    auto server_options = emulator_defaults();
    server_options.max_requests_per_connection = 3;
    server_options.announce_close = true;
    emulator_fixture f(server_options);
    auto options = f.client_options_for();
    options.pool.max_size = 8;
    auto c = f.make_client(options);
    BOOST_TEST(run_concurrently(f, c, 256) == 256);
    BOOST_TEST(requests_served(f.server, 256) == 256u);
}

// The server drops the connection after 3 requests without saying so; the
// client sees it when it reuses the connection and sends the request again on
// a fresh one, so callers never see an error.
BOOST_AUTO_TEST_CASE(server_closing_silently_every_3_requests) {
    auto server_options = emulator_defaults();
    server_options.max_requests_per_connection = 3;
    server_options.announce_close = false;
    emulator_fixture f(server_options);
    auto options = f.client_options_for();
    options.pool.max_size = 4;
    auto c = f.make_client(options);
    for (int round = 0; round < 4; ++round)
        BOOST_TEST(run_concurrently(f, c, 64) == 64);
    // Sequential requests hit the stale connection every time, idle or not.
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(run_concurrently(f, c, 1) == 1);
    BOOST_TEST(requests_served(f.server, 266) == 266u);
}

BOOST_AUTO_TEST_CASE(one_client_from_four_threads) {
    auto server_options = emulator_defaults();
    server_options.threads = 2;
    emulator_fixture f(server_options);
    auto options = f.client_options_for();
    options.pool.max_size = 8;
    options.thread_safe = true;
    auto c = f.make_client(options);
    constexpr int per_thread = 100;
    std::atomic<int> correct{0};
    std::atomic<int> finished{0};
    // Four threads run the context and four threads start requests at once.
    auto guard = asio::make_work_guard(f.io);
    std::vector<std::thread> runners;
    for (int t = 0; t < 4; ++t)
        runners.emplace_back([&] { f.io.run(); });
    std::vector<std::thread> starters;
    for (int t = 0; t < 4; ++t)
        starters.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i)
                asio::co_spawn(f.io, ask_numbered(c, t * per_thread + i), [&](std::exception_ptr e, bool ok) {
                    if (!e && ok)
                        ++correct;
                    ++finished;
                });
        });
    for (auto& t : starters)
        t.join();
    while (finished.load() < 4 * per_thread)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    guard.reset();
    for (auto& t : runners)
        t.join();
    BOOST_TEST(correct.load() == 4 * per_thread);
    BOOST_TEST(f.server.connections_accepted() <= 8u);
    BOOST_TEST(c.stats().open <= 8u);
}

BOOST_FIXTURE_TEST_CASE(destroying_the_client_closes_idle_connections, emulator_fixture) {
    {
        auto options = client_options_for();
        options.pool.max_size = 1;
        auto c = make_client(options);
        BOOST_TEST(run_concurrently(*this, c, 3) == 3);
    }
    // Give the server a moment to see the close.
    for (int i = 0; i < 100 && server.open_connections() != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(server.open_connections() == 0u);
}

// Every request on a new connection: after the first full handshake, new
// connections resume a session the server gave an earlier one.
BOOST_FIXTURE_TEST_CASE(new_connections_resume_a_tls_session, emulator_fixture) {
    auto options = client_options_for();
    options.pool.max_requests_per_connection = 1;
    auto c = make_client(options);
    for (int i = 0; i < 6; ++i)
        BOOST_TEST(run_concurrently(*this, c, 1) == 1);
    BOOST_TEST(server.tls_handshakes() == 6u);
    BOOST_TEST(c.stats().tls_handshakes == 6u);
    // The first cannot resume; the session of each one arrives with its
    // first response (TLS 1.3 tickets), before the next connection opens.
    BOOST_TEST(c.stats().tls_resumed == 5u);

    options.tls_session_resumption = false;
    auto full = make_client(options);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(run_concurrently(*this, full, 1) == 1);
    BOOST_TEST(full.stats().tls_handshakes == 3u);
    BOOST_TEST(full.stats().tls_resumed == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pool_order_and_timeouts)

// With one connection, requests are served in the order they asked for it.
BOOST_FIXTURE_TEST_CASE(waiters_are_served_first_come_first_served, emulator_fixture) {
    auto options = client_options_for();
    options.pool.max_size = 1;
    auto c = make_client(options);
    std::vector<int> order;
    for (int i = 0; i < 8; ++i)
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                co_await c.async_chat(echo_request(std::to_string(i)));
                order.push_back(i);
            },
            asio::detached);
    io.run();
    BOOST_TEST(order == (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}), boost::test_tools::per_element());
    BOOST_TEST(server.connections_accepted() == 1u);
}

// A server that takes the TCP connection but never answers the TLS handshake.
BOOST_AUTO_TEST_CASE(a_silent_server_hits_the_connect_timeout) {
    asio::io_context io;
    asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
    client_options options;
    options.api_key = "k";
    options.base_url = "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/v1";
    options.pool.connect_timeout = std::chrono::milliseconds(200);
    options.retry.max_retries = 0;
    client c(io, options);
    diagnostics diag;
    error_code result;
    c.async_chat(echo_request("x"), diag, [&](error_code ec, chat_completion) { result = ec; });
    auto started = std::chrono::steady_clock::now();
    io.run();
    BOOST_TEST(result == error::connect_timeout);
    BOOST_TEST(!diag.message.empty());
    BOOST_TEST(c.stats().open == 0u);
    // It gave up on its own, long before any default timeout.
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(5)));
}

BOOST_AUTO_TEST_CASE(nobody_listening) {
    asio::io_context io;
    unsigned short port;
    {
        asio::ip::tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
        port = closed.local_endpoint().port();
    }
    client_options options;
    options.api_key = "k";
    options.base_url = "https://127.0.0.1:" + std::to_string(port) + "/v1";
    options.retry.max_retries = 0;
    client c(io, options);
    diagnostics diag;
    error_code result;
    c.async_chat(echo_request("x"), diag, [&](error_code ec, chat_completion) { result = ec; });
    io.run();
    BOOST_TEST(result == asio::error::connection_refused);
    BOOST_TEST(diag.message.find("cannot connect") != std::string::npos, diag.message);
}

// A gateway that speaks TLS 1.2 only: answers plain and streamed, a large
// request, and new connections that resume sessions (TLS 1.2 sends its
// ticket within the handshake).
BOOST_AUTO_TEST_CASE(a_tls_1_2_gateway) {
    auto server_options = emulator_defaults();
    server_options.tls_1_2_only = true;
    emulator_fixture f(server_options);
    auto options = f.client_options_for();
    options.pool.max_requests_per_connection = 1;
    auto c = f.make_client(options);
    std::string prompt;
    for (int i = 0; prompt.size() < 100000; ++i)
        prompt += "w" + std::to_string(i) + " ";
    auto big = f.chat(c, echo_request(prompt));
    BOOST_TEST(big.ec == error_code());
    BOOST_TEST((big.text == prompt));
    for (int i = 0; i < 5; ++i) {
        auto streamed = f.stream(c, echo_request("over TLS 1.2 " + std::to_string(i)));
        BOOST_TEST(streamed.ec == error_code());
        BOOST_TEST(streamed.text == "over TLS 1.2 " + std::to_string(i));
    }
    BOOST_TEST(c.stats().tls_handshakes == 6u);
    BOOST_TEST_MESSAGE("TLS 1.2: " << c.stats().tls_resumed << " of 6 handshakes resumed");
    BOOST_TEST(c.stats().tls_resumed == 5u);
}

// A call takes an idle connection when it is started. Here the client and
// then the io_context go away before that call ever ran: the connection goes
// back to a pool that is still there, and is closed.
BOOST_AUTO_TEST_CASE(a_call_that_never_ran_outlives_its_client) {
    emulator_fixture f;
    auto io = std::make_unique<asio::io_context>();
    auto c = std::make_unique<client>(*io, f.client_options_for());
    asio::co_spawn(*io, c->async_chat(echo_request("leaves a connection idle")), asio::detached);
    io->run();
    BOOST_TEST(c->stats().idle == 1u);
    c->async_chat(echo_request("never sent"), asio::detached);
    c.reset();
    io.reset();
    for (int i = 0; i < 100 && f.server.open_connections() != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(f.server.open_connections() == 0u);
    BOOST_TEST(f.server.requests_served() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
