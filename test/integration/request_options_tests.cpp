// Per-call options (request_options): each replaces the client's option for
// that call only, for async_chat, async_chat_stream and async_list_models.

#include "canned_server.hpp"
#include "fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

using namespace dgrid;
using namespace dgrid::test;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

// `fault` for the first `times` requests of the group `id`.
request_options failing(std::string fault, int times, std::string id) {
    return dgrid::test::fault(fault + ",fail-times=" + std::to_string(times) + ",id=" + std::move(id));
}

// A completion of the canned server's, answered `text`.
std::string completion_response(const std::string& text) {
    const std::string body = R"({"id":"c","object":"chat.completion","created":1,"model":"m","choices":[)"
                             R"({"index":0,"message":{"role":"assistant","content":")" +
                             text + R"("},"finish_reason":"stop"}]})";
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_options_tests)

BOOST_FIXTURE_TEST_CASE(max_retries_of_a_call_replace_the_client_s, emulator_fixture) {
    auto options = client_options_for(); // max_retries = 0
    options.retry.initial_backoff = milliseconds(1);
    options.retry.max_retry_after = milliseconds(1); // the emulator's 503 asks for a second
    auto c = make_client(options);

    request_options retried = failing("status=503", 2, "call-twice");
    retried.max_retries = 2;
    auto result = chat(c, {echo_request("retried twice"), retried});
    BOOST_TEST(!result.ec, result.ec.message() << ": " << result.diag.message);
    BOOST_TEST(result.text == "retried twice");
    BOOST_TEST(result.diag.attempts == 3u);

    retried = failing("status=503", 1, "stream-once");
    retried.max_retries = 1;
    diagnostics opened; // each async_next clears the diagnostics it is given
    auto streamed = run([&]() -> asio::awaitable<std::string> {
        const chat_request request = echo_request("streamed after a retry");
        auto stream = co_await c.async_chat_stream(request, retried, opened);
        std::string text;
        while (co_await stream.async_next())
            text += stream.chunk().text();
        co_return text;
    }());
    BOOST_TEST(streamed == "streamed after a retry");
    BOOST_TEST(opened.attempts == 2u);

    retried = failing("status=503", 1, "models-once");
    retried.max_retries = 1;
    diagnostics diag;
    auto [ec, models] = run([&]() -> asio::awaitable<std::tuple<error_code, model_list>> {
        co_return co_await c.async_list_models(retried, diag, asio::as_tuple(asio::use_awaitable));
    }());
    BOOST_TEST(!ec, ec.message() << ": " << diag.message);
    BOOST_TEST(!models.data.empty());
    BOOST_TEST(diag.attempts == 2u);

    // And the other way: a client that retries, a call that does not.
    options.retry.max_retries = 3;
    auto retrying = make_client(options);
    request_options once = fault("status=503");
    once.max_retries = 0;
    for (const call_result& r :
         {chat(retrying, {echo_request("x"), once}), stream(retrying, {echo_request("x"), once})}) {
        BOOST_TEST(r.ec == error::service_unavailable, r.ec.message());
        BOOST_TEST(r.diag.attempts == 1u);
    }
    BOOST_TEST(chat(retrying, {echo_request("x"), fault("status=503")}).diag.attempts == 4u);
}

BOOST_FIXTURE_TEST_CASE(timeouts_of_a_call_replace_the_client_s, emulator_fixture) {
    auto c = make_client(); // the default timeouts: minutes
    request_options quick = fault("stall=5000");
    quick.headers_timeout = milliseconds(100);
    const auto started = steady::now();
    BOOST_TEST(chat(c, {echo_request("x"), quick}).ec == error::headers_timeout);
    BOOST_TEST(stream(c, {echo_request("x"), quick}).ec == error::headers_timeout);

    quick = fault("stall=5000");
    quick.total_timeout = milliseconds(100);
    BOOST_TEST(chat(c, {echo_request("x"), quick}).ec == error::total_timeout);
    BOOST_TEST(stream(c, {echo_request("x"), quick}).ec == error::total_timeout);

    quick = fault("stall-stream=5000");
    quick.stream_idle_timeout = milliseconds(100);
    auto result = stream(c, {echo_request("a b c"), quick});
    BOOST_TEST(result.ec == error::stream_idle_timeout);
    BOOST_TEST(result.text == "a ");

    // A stream's total_timeout bounds the whole stream, not only its opening.
    test_call slow = with_token_delay(echo_request("one two three four five six seven eight"), 100);
    slow.options.total_timeout = milliseconds(300);
    result = stream(c, slow);
    BOOST_TEST(result.ec == error::total_timeout);
    BOOST_TEST(!result.text.empty());
    BOOST_TEST((steady::now() - started < milliseconds(4000)));

    // The client's own deadlines are unchanged for the next call.
    result = stream(c, {echo_request("waited for"), fault("stall=300")});
    BOOST_TEST(!result.ec, result.ec.message());
    BOOST_TEST(result.text == "waited for");
}

// Sent on each attempt of the call, on no other call; the client's head for
// calls without headers of their own stays as it was.
BOOST_FIXTURE_TEST_CASE(extra_headers_and_the_idempotency_key_go_with_every_attempt, emulator_fixture) {
    canned_server canned(
        io, {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", completion_response("done")});
    auto options = client_options_for();
    options.base_url = canned.base_url();
    options.retry.max_retries = 1;
    options.retry.initial_backoff = milliseconds(1);
    options.default_headers = {{"X-Team", "default"}};
    auto c = make_client(options);
    request_options call;
    call.idempotency_key = "order-42";
    call.extra_headers = {{"x-team", "this call"}, {"X-Trace", "t-1"}};
    auto result = run([&]() -> asio::awaitable<std::pair<call_result, call_result>> {
        const chat_request request = echo_request("x");
        auto with_options = co_await chat_once(c, {request, call});
        auto without = co_await chat_once(c, request);
        canned.close(); // the context then runs out of work
        co_return std::pair{with_options, without};
    }());
    BOOST_TEST(!result.first.ec, result.first.ec.message() << ": " << result.first.diag.message);
    BOOST_TEST(result.first.diag.attempts == 2u);
    BOOST_TEST(result.second.text == "done");
    BOOST_TEST_REQUIRE(canned.received().size() == 3u);
    for (int i = 0; i < 2; ++i) {
        const auto& sent = canned.received()[i];
        BOOST_TEST(sent["Idempotency-Key"] == "order-42");
        BOOST_TEST(sent["X-Trace"] == "t-1");
        BOOST_TEST(sent["X-Team"] == "this call");
        BOOST_TEST(sent.count("X-Team") == 1u);
    }
    const auto& plain = canned.received()[2];
    BOOST_TEST(plain.count("Idempotency-Key") == 0u);
    BOOST_TEST(plain.count("X-Trace") == 0u);
    BOOST_TEST(plain["X-Team"] == "default");
}

// The request and its options are written out when the call is made: an
// operation that starts later needs neither (ASan sees a use after scope).
BOOST_FIXTURE_TEST_CASE(the_request_and_its_options_need_not_outlive_the_call, emulator_fixture) {
    auto c = make_client();
    auto deferred = [&] {
        const chat_request request = echo_request("written out at once");
        request_options options = fault("stall=1");
        options.max_retries = 0;
        return c.async_chat_stream(request, options, asio::deferred);
    }();
    auto text = run([&]() -> asio::awaitable<std::string> {
        auto stream = co_await std::move(deferred);
        std::string streamed;
        while (co_await stream.async_next())
            streamed += stream.chunk().text();
        co_return streamed;
    }());
    BOOST_TEST(text == "written out at once");
}

BOOST_AUTO_TEST_SUITE_END()
