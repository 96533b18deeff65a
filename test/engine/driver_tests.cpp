// The request driver with its state machine over Beast's test stream: the
// response read in pieces of every size, a failure injected at every I/O
// operation of an exchange (Beast's fail_count), a pooled connection that the
// server had closed. No sockets.

#include <dgrid/detail/engine/operation_fsm.hpp>
#include <dgrid/detail/engine/request_driver.hpp>
#include <dgrid/detail/http/response_status.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace dgrid;
using namespace dgrid::detail;
namespace test = boost::beast::test;

namespace {

const std::string request_text = "POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\n{}";
const std::string answer_body = R"({"id":"c1","object":"chat.completion","choices":[]})";
const std::string answer =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(answer_body.size()) +
    "\r\n\r\n" + answer_body;
const std::string event_stream_head =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

// A connection over Beast's test stream, whose peer has the server's answer
// waiting: what the client writes lands in the peer.
struct test_connection {
    test_connection(asio::io_context& ctx, const std::string& response, std::size_t read_size,
                    std::optional<test::fail_count>& fails)
        : ctx(ctx), stream(fails ? test::stream(ctx, *fails) : test::stream(ctx)), peer(ctx) {
        stream.connect(peer);
        stream.append(response);
        if (read_size)
            stream.read_size(read_size);
    }

    asio::any_io_executor get_executor() const { return ctx.get_executor(); }

    template <class Op>
    auto on_stream(Op& op) {
        return op(stream);
    }

    void expire_at(clock::time_point deadline) { deadlines.push_back(deadline); }
    boost::beast::flat_buffer& buffer() { return read_buffer; }
    void keep_tls_buffers(bool) {}
    const connection_opening& opening() const { return opened; }

    asio::io_context& ctx;
    test::stream stream;
    test::stream peer;
    boost::beast::flat_buffer read_buffer;
    std::vector<clock::time_point> deadlines;
    std::size_t requests_sent = 0;
    connection_opening opened;
};

// Hands out test connections, each with the answer waiting; the first may
// fail at a given operation (a new connection, for a retry, does not). Keeps
// one connection given back as reusable for the next request.
struct test_pool {
    asio::io_context& ctx;
    std::string response = answer;
    std::size_t read_size = 0;
    std::optional<test::fail_count> first_fails;
    std::unique_ptr<test_connection> idle;
    int opened = 0;
    int released = 0;
    int reused = 0;
    std::string written; // what the server received, over all connections

    asio::awaitable<error_code> async_acquire(std::unique_ptr<test_connection>& out, bool fresh, diagnostics&) {
        if (idle && !fresh) {
            ++reused;
            out = std::move(idle);
            co_return error_code();
        }
        std::optional<test::fail_count> none;
        out = std::make_unique<test_connection>(ctx, response, read_size, opened == 0 ? first_fails : none);
        ++opened;
        co_return error_code();
    }

    void release(std::unique_ptr<test_connection> conn, bool reusable) {
        ++released;
        written += std::string(conn->peer.str());
        if (reusable)
            idle = std::move(conn);
    }
};

struct call_result {
    error_code ec;
    diagnostics diag;
    unsigned attempts = 0;
    unsigned retries = 0;
    std::string body;
};

// One call through the driver, as run_call makes it, with no wait between retries.
call_result run_call(test_pool& pool, operation_kind kind = operation_kind::call) {
    client_options options;
    options.timeouts.headers = std::chrono::seconds(5);
    options.retry.initial_backoff = std::chrono::milliseconds(0);
    retry_budget budget(options.retry);
    call_result result;
    operation_fsm fsm(kind, options, request_limits::of(options, {}, kind == operation_kind::stream), budget,
                      deadline_after(std::chrono::seconds(60)));
    std::unique_ptr<test_connection> conn;
    wire_request request{request_text};
    auto interpret = [&](const response_reader& response, diagnostics& diag) {
        result.body = response.body();
        return read_status(response, diag);
    };
    auto driving = [&]() -> asio::awaitable<void> {
        const operation_step step = fsm.resume({{}, clock::now()}, result.diag);
        result.ec = co_await drive(pool, fsm, step, request, conn, result.diag, interpret);
    };
    asio::co_spawn(pool.ctx, driving(), asio::detached);
    pool.ctx.run();
    pool.ctx.restart();
    result.attempts = fsm.attempts();
    result.retries = fsm.retries();
    if (conn) // a stream that opened keeps its connection
        pool.release(std::move(conn), false);
    return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_driver)

BOOST_AUTO_TEST_CASE(a_response_read_in_pieces_of_every_size) {
    for (std::size_t size = 1; size <= answer.size() + 1; ++size) {
        BOOST_TEST_CONTEXT("reads of " << size << " bytes") {
            asio::io_context ctx;
            test_pool pool{ctx};
            pool.read_size = size;
            auto result = run_call(pool);
            BOOST_TEST(!result.ec, result.ec.message());
            BOOST_TEST(result.body == answer_body);
            BOOST_TEST(pool.written == request_text);
            BOOST_TEST(pool.released == 1);
            BOOST_TEST(pool.idle != nullptr); // read to the end: kept for the next request
        }
    }
}

BOOST_AUTO_TEST_CASE(deadlines_are_set_for_the_exchange_and_cleared_after) {
    asio::io_context ctx;
    test_pool pool{ctx};
    auto result = run_call(pool);
    BOOST_TEST_REQUIRE(!result.ec);
    const auto& deadlines = pool.idle->deadlines;
    // headers (write and head), then the body (the total), then none.
    BOOST_TEST_REQUIRE(deadlines.size() == 3u);
    BOOST_CHECK(deadlines[0] < deadlines[1]);
    BOOST_CHECK(deadlines[2] == clock::time_point::max());
}

BOOST_AUTO_TEST_CASE(a_failure_at_every_operation_is_retried_on_a_new_connection) {
    int failed_runs = 0;
    for (std::size_t n = 1; n < 200; ++n) {
        BOOST_TEST_CONTEXT("failure at operation " << n) {
            asio::io_context ctx;
            test_pool pool{ctx};
            pool.read_size = 7; // a few reads: more operations to fail
            pool.first_fails.emplace(n, asio::error::connection_reset);
            auto result = run_call(pool);
            BOOST_TEST(!result.ec, result.ec.message());
            BOOST_TEST(result.body == answer_body);
            BOOST_TEST(pool.released == pool.opened); // every connection given back once
            if (result.attempts == 1) {               // the exchange needs fewer than n operations: all walked
                BOOST_TEST(n > 3u);
                BOOST_TEST(failed_runs == int(n) - 1);
                return;
            }
            ++failed_runs;
            BOOST_TEST(result.attempts == 2u);
            BOOST_TEST(result.retries == 1u);
            BOOST_TEST(pool.opened == 2);
        }
    }
    BOOST_FAIL("the exchange never ended");
}

BOOST_AUTO_TEST_CASE(a_pooled_connection_closed_by_the_server_is_replaced_at_once) {
    asio::io_context ctx;
    test_pool pool{ctx};
    BOOST_TEST_REQUIRE(!run_call(pool).ec);
    BOOST_TEST_REQUIRE(pool.idle != nullptr);
    pool.idle->requests_sent = 1;
    pool.idle->peer.close(); // the server closed it while idle: the next read sees the end
    auto result = run_call(pool);
    BOOST_TEST(!result.ec, result.ec.message());
    BOOST_TEST(result.body == answer_body);
    BOOST_TEST(pool.reused == 1);
    BOOST_TEST(pool.opened == 2);
    BOOST_TEST(result.attempts == 2u); // sent twice,
    BOOST_TEST(result.retries == 0u);  // yet not a retry
}

BOOST_AUTO_TEST_CASE(a_stream_keeps_its_connection_at_the_head) {
    asio::io_context ctx;
    test_pool pool{ctx};
    pool.response = event_stream_head + "5\r\ndata:\r\n";
    auto result = run_call(pool, operation_kind::stream);
    BOOST_TEST(!result.ec, result.ec.message());
    BOOST_TEST(pool.released == 1); // by run_call, after the driver handed it over
}

BOOST_AUTO_TEST_CASE(an_error_status_fails_after_its_body_was_read) {
    asio::io_context ctx;
    test_pool pool{ctx};
    const std::string body = R"({"error":{"message":"no such model","type":"invalid_request_error"}})";
    pool.response = "HTTP/1.1 404 Not Found\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    auto result = run_call(pool, operation_kind::stream);
    BOOST_CHECK(result.ec == error::not_found);
    BOOST_TEST(result.diag.message == "no such model");
    BOOST_TEST(result.body == body);
    BOOST_TEST(pool.idle != nullptr); // its body read whole: the connection is kept
}

BOOST_AUTO_TEST_SUITE_END()
