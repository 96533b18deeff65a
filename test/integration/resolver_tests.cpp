// Resolving the gateway's host: through a resolver of the caller's own, within
// pool.connect_timeout, and ended by a cancellation, also when the resolver
// never answers.

#include "fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace dgrid;
using namespace dgrid::test;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

// A resolver that keeps every handler and never answers: a DNS server that
// does not reply.
struct silent_resolver {
    std::mutex mutex;
    std::vector<resolve_handler> held;

    resolver_function function() {
        return [this](const std::string&, const std::string&, resolve_handler handler) {
            std::lock_guard lock(mutex);
            held.push_back(std::move(handler));
        };
    }
};

// An emulator whose certificate names gateway.test, reached through a
// resolver that pins that name to it.
struct named_gateway : emulator_fixture {
    named_gateway() : emulator_fixture(named()) {}

    static emulator::server_options named() {
        emulator::server_options options = emulator_defaults();
        options.certificate_names = {"gateway.test"};
        return options;
    }

    client_options pinned() {
        client_options options = client_options_for();
        options.base_url = "https://gateway.test:" + std::to_string(server.port()) + "/v1";
        return options;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(resolver_tests)

BOOST_FIXTURE_TEST_CASE(a_resolver_of_one_s_own_answering_from_another_thread, named_gateway) {
    auto options = pinned();
    std::vector<std::string> asked;
    std::vector<std::thread> answering;
    options.resolver = [&](const std::string& host, const std::string& port, resolve_handler handler) {
        asked.push_back(host + ":" + port);
        answering.emplace_back([handler = std::move(handler), port]() mutable {
            const auto address = asio::ip::make_address("127.0.0.1");
            std::move(handler)(error_code(), std::vector{asio::ip::tcp::endpoint(address, std::stoi(port))});
        });
    };
    auto c = make_client(options);
    auto result = chat(c, echo_request("pinned"));
    for (auto& t : answering)
        t.join();
    BOOST_TEST(!result.ec, result.ec.message() << ": " << result.diag.message);
    BOOST_TEST(result.text == "pinned");
    BOOST_TEST(asked == (std::vector<std::string>{"gateway.test:" + std::to_string(server.port())}),
               boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_resolver_s_error_is_the_call_s, named_gateway) {
    auto options = pinned();
    options.resolver = [](const std::string&, const std::string&, resolve_handler handler) {
        std::move(handler)(asio::error::host_not_found, std::vector<asio::ip::tcp::endpoint>());
    };
    auto c = make_client(options);
    auto result = chat(c, echo_request("x"));
    BOOST_TEST(result.ec == asio::error::host_not_found, result.ec.message());
    BOOST_TEST(result.diag.message == "cannot resolve gateway.test");
}

// The system's resolver cannot be made to hang here; one that never answers
// stands for it: pool.connect_timeout bounds the resolution, and the late
// answer, when it comes, is dropped.
BOOST_FIXTURE_TEST_CASE(a_resolution_that_never_ends_meets_the_connect_timeout, emulator_fixture) {
    silent_resolver dns;
    auto options = client_options_for();
    options.resolver = dns.function();
    options.pool.connect_timeout = milliseconds(200);
    auto c = make_client(options);
    const auto started = steady::now();
    auto result = chat(c, echo_request("x"));
    BOOST_TEST(result.ec == error::connect_timeout, result.ec.message());
    BOOST_TEST((steady::now() - started < milliseconds(3000)));
    BOOST_TEST(c.stats().open == 0u);
    // The answer comes after all: nothing happens, and the client serves on.
    const std::vector<asio::ip::tcp::endpoint> late{{asio::ip::make_address("127.0.0.1"), server.port()}};
    for (auto& handler : dns.held)
        std::move(handler)(error_code(), late);
    io.restart();
    io.poll();
    options.resolver = {};
    auto system = make_client(options);
    BOOST_TEST(chat(system, echo_request("the system's")).text == "the system's");
}

BOOST_FIXTURE_TEST_CASE(a_resolution_that_never_ends_is_cancelled, emulator_fixture) {
    using namespace asio::experimental::awaitable_operators;
    silent_resolver dns;
    auto options = client_options_for();
    options.resolver = dns.function();
    auto c = make_client(options); // connect_timeout: 10 s
    // `||` returns once the call it cancelled completed: at once, not after
    // the connect timeout.
    const auto started = steady::now();
    auto winner = run([&]() -> asio::awaitable<std::size_t> {
        asio::steady_timer timer(co_await asio::this_coro::executor, milliseconds(100));
        auto token = asio::as_tuple(asio::use_awaitable);
        const chat_request request = echo_request("x");
        auto first = co_await (c.async_chat(request, token) || timer.async_wait(token));
        co_return first.index();
    }());
    BOOST_TEST(winner == 1u); // the timer
    BOOST_TEST((steady::now() - started < milliseconds(3000)));

    // client::cancel() ends it too, from another thread.
    std::thread canceller([&] {
        std::this_thread::sleep_for(milliseconds(100));
        c.cancel();
    });
    auto result = chat(c, echo_request("y"));
    canceller.join();
    BOOST_TEST(result.ec == asio::error::operation_aborted, result.ec.message());
    BOOST_TEST((steady::now() - started < milliseconds(3000)));
    BOOST_TEST(dns.held.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
