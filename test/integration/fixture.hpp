#ifndef DGRID_TEST_INTEGRATION_FIXTURE_HPP
#define DGRID_TEST_INTEGRATION_FIXTURE_HPP

// An emulator started in-process on 127.0.0.1 (TLS unless asked otherwise)
// and a client of it, driven by an io_context the test runs.

#include <dgrid/emulator/server.hpp>

#include <dgrid/dgrid.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dgrid {
// Lets Boost.Test print `dgrid::error` in failed comparisons.
inline std::ostream& boost_test_print_type(std::ostream& os, error e) { return os << make_error_code(e).message(); }
} // namespace dgrid

namespace dgrid::test {

namespace asio = boost::asio;

inline emulator::server_options emulator_defaults() {
    emulator::server_options options;
    options.api_key = "test-key";
    return options;
}

// What one call gave: its error, what the server said, and the answer's text
// (for a stream, the deltas that reached the caller, joined; each of them in
// `pieces`, and what the stream merged in `completion`).
struct call_result {
    error_code ec;
    diagnostics diag;
    std::string text;
    std::vector<std::string> pieces;
    chat_completion completion;
};

// A request and the options of its call.
struct test_call {
    test_call(chat_request r, request_options o = {}) : request(std::move(r)), options(std::move(o)) {}

    chat_request request;
    request_options options;
};

inline asio::awaitable<call_result> chat_once(client& c, test_call call) {
    call_result result;
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, answer] = co_await c.async_chat(call.request, call.options, result.diag, token);
    result.ec = ec;
    result.text = answer.text();
    co_return result;
}

// Streams to the end or the first error. The merged completion must agree
// with the deltas: a difference shows up in the text, with both texts.
inline asio::awaitable<call_result> stream_once(client& c, test_call call) {
    call_result result;
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, stream] = co_await c.async_chat_stream(call.request, call.options, result.diag, token);
    result.ec = ec;
    if (ec)
        co_return result;
    for (;;) {
        auto [next_ec, more] = co_await stream.async_next(result.diag, token);
        result.ec = next_ec;
        if (next_ec || !more)
            break;
        result.pieces.emplace_back(stream.chunk().text());
        result.text += result.pieces.back();
    }
    result.completion = stream.completion();
    if (!result.ec && (!stream.done() || stream.completion().text() != result.text))
        result.text += " | completion: " + stream.completion().text();
    co_return result;
}

struct emulator_fixture {
    explicit emulator_fixture(emulator::server_options options = emulator_defaults()) : server(std::move(options)) {
        server.start();
    }

    // Options for a client of this emulator.
    client_options client_options_for() const {
        client_options options;
        options.base_url = server.base_url();
        options.api_key = "test-key";
        options.ca_file = server.ca_file().string();
        // Faults here are injected on every attempt: tests that are about
        // retrying turn them back on.
        options.retry.max_retries = 0;
        // CTest runs the suite twice: with strands (the default) and without
        // (DGRID_TEST_THREAD_SAFE=0). Tests that run the context on several
        // threads, or start operations from another thread, ask for strands.
        if (const char* safe = std::getenv("DGRID_TEST_THREAD_SAFE"))
            options.thread_safe = std::string_view(safe) != "0";
        return options;
    }

    client make_client() { return client(io, client_options_for()); }
    client make_client(const client_options& options) { return client(io, options); }

    // Runs `work` on `io` until it finishes; rethrows what it throws.
    template <class T>
    T run(asio::awaitable<T> work) {
        auto result = asio::co_spawn(io, std::move(work), asio::use_future);
        io.restart();
        io.run();
        return result.get();
    }

    call_result chat(client& c, test_call call) { return run(chat_once(c, std::move(call))); }
    call_result stream(client& c, test_call call) { return run(stream_once(c, std::move(call))); }

    emulator::server server;
    asio::io_context io;
};

// The responses `server` has written, once it wrote `expected` or after a
// second: it counts a response when the write completed, which may come just
// after the client read it.
inline std::uint64_t requests_served(const emulator::server& server, std::uint64_t expected) {
    for (int i = 0; i < 100 && server.requests_served() < expected; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return server.requests_served();
}

inline chat_request echo_request(std::string text) {
    chat_request request;
    request.model = "emulator/echo";
    request.messages.push_back(message::user(std::move(text)));
    return request;
}

// Asks the emulator to wait `ms` milliseconds before each token of this call.
inline test_call with_token_delay(test_call call, int ms) {
    call.options.extra_headers.push_back({"X-Emulator-Token-Delay-Ms", std::to_string(ms)});
    return call;
}

// Asks the emulator to misbehave for this call (see src/emulator/faults.hpp).
inline test_call with_fault(test_call call, std::string fault) {
    call.options.extra_headers.push_back({"X-Emulator-Fault", std::move(fault)});
    return call;
}

// For the client's own calls, which take the request and its options apart.
inline request_options fault(std::string fault) { return with_fault(chat_request{}, std::move(fault)).options; }

} // namespace dgrid::test

#endif
