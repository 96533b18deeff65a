// What a successful call's response said besides its body: status, request
// id, attempts, timings, the emulator's rate-limit headers and the headers a
// user asked to keep.

#include "fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

using namespace dgrid;
using namespace dgrid::test;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// An emulator that lets each API key send 3 requests and 10,000 tokens a minute.
struct rate_limited_emulator : emulator_fixture {
    rate_limited_emulator() : emulator_fixture(limited()) {}

    static emulator::server_options limited() {
        emulator::server_options options = emulator_defaults();
        options.requests_per_minute = 3;
        options.tokens_per_minute = 10'000;
        return options;
    }
};

std::int64_t total_tokens(const chat_completion& c) { return c.usage.value().total_tokens.value(); }

} // namespace

BOOST_AUTO_TEST_SUITE(response_info_tests)

BOOST_FIXTURE_TEST_CASE(a_call_s_response_and_its_rate_limits, rate_limited_emulator) {
    auto options = client_options_for();
    options.keep_response_headers = {"server", "x-absent"};
    auto c = make_client(options);
    const chat_completion answer = run([&]() -> asio::awaitable<chat_completion> {
        const chat_request request = echo_request("counted");
        co_return co_await c.async_chat(request);
    }());
    const response_info& info = answer.response;
    BOOST_TEST(info.http_status == 200u);
    BOOST_TEST(info.request_id.rfind("req-", 0) == 0u, info.request_id);
    BOOST_TEST(info.attempts == 1u);
    BOOST_TEST(info.time_to_headers.count() > 0);
    BOOST_TEST_REQUIRE(info.total.has_value());
    BOOST_TEST((*info.total >= info.time_to_headers));
    BOOST_TEST(!info.time_to_first_token.has_value()); // an answer that is not streamed comes whole

    const rate_limits& limits = info.rate_limits;
    BOOST_TEST(limits.limit_requests.value_or(-1) == 3);
    BOOST_TEST(limits.remaining_requests.value_or(-1) == 2);
    // One request refills in 20 s; a little of it flowed in since.
    BOOST_TEST_REQUIRE(limits.reset_requests.has_value());
    BOOST_TEST((*limits.reset_requests > seconds(19) && *limits.reset_requests <= seconds(20)));
    BOOST_TEST(limits.limit_tokens.value_or(-1) == 10'000);
    // The answer's headers count its own tokens.
    BOOST_TEST(limits.remaining_tokens.value_or(-1) == 10'000 - total_tokens(answer));
    BOOST_TEST_REQUIRE(limits.reset_tokens.has_value());
    // 10,000 tokens a minute: 6 ms a token.
    BOOST_TEST((*limits.reset_tokens > milliseconds(6 * total_tokens(answer) - 100)));
    BOOST_TEST((*limits.reset_tokens <= milliseconds(6 * total_tokens(answer))));

    BOOST_TEST_REQUIRE(info.headers.size() == 1u);
    BOOST_TEST(info.headers[0].name == "Server");
    BOOST_TEST(info.headers[0].value == "dgrid-emulator");
}

BOOST_FIXTURE_TEST_CASE(a_stream_s_response_and_its_timings, rate_limited_emulator) {
    auto c = make_client();
    struct seen {
        response_info opened;
        response_info after_first_token;
        response_info at_end;
    };
    const seen s = run([&]() -> asio::awaitable<seen> {
        seen result;
        const chat_request request = echo_request("one two three");
        const request_options slowly = with_token_delay(chat_request{}, 20).options;
        auto stream = co_await c.async_chat_stream(request, slowly);
        result.opened = stream.response();
        while (co_await stream.async_next()) {
            if (!stream.chunk().text().empty() && !result.after_first_token.time_to_first_token)
                result.after_first_token = stream.response();
        }
        result.at_end = stream.response();
        co_return result;
    }());
    BOOST_TEST(s.opened.http_status == 200u);
    BOOST_TEST(s.opened.attempts == 1u);
    BOOST_TEST(!s.opened.time_to_first_token.has_value());
    BOOST_TEST(!s.opened.total.has_value());
    BOOST_TEST(s.opened.rate_limits.remaining_requests.value_or(-1) == 2);
    BOOST_TEST(s.opened.rate_limits.limit_tokens.value_or(-1) == 10'000);

    BOOST_TEST_REQUIRE(s.after_first_token.time_to_first_token.has_value());
    BOOST_TEST(!s.after_first_token.total.has_value());
    // The first token waits 20 ms after the head.
    BOOST_TEST((*s.after_first_token.time_to_first_token >= s.opened.time_to_headers + milliseconds(15)));

    BOOST_TEST_REQUIRE(s.at_end.total.has_value());
    BOOST_TEST((*s.at_end.total >= *s.after_first_token.time_to_first_token + milliseconds(30)));
    BOOST_TEST(s.at_end.request_id == s.opened.request_id);
}

// The emulator's limits refuse the fourth request of the minute with a 429
// that says when to come back; a model list counts as a request too.
BOOST_FIXTURE_TEST_CASE(the_limit_reached_is_a_429_with_its_wait, rate_limited_emulator) {
    auto c = make_client(); // no retries
    for (int i = 0; i < 2; ++i)
        BOOST_TEST(!chat(c, echo_request("x")).ec);
    diagnostics diag;
    auto [ec, models] = run([&]() -> asio::awaitable<std::tuple<error_code, model_list>> {
        co_return co_await c.async_list_models(diag, asio::as_tuple(asio::use_awaitable));
    }());
    BOOST_TEST(!ec);
    BOOST_TEST(models.response.http_status == 200u);
    BOOST_TEST(models.response.rate_limits.remaining_requests.value_or(-1) == 0);

    auto refused = chat(c, echo_request("x"));
    BOOST_TEST(refused.ec == error::rate_limited);
    BOOST_TEST(refused.diag.http_status == 429u);
    BOOST_TEST(refused.diag.code.as_string() == "rate_limit_exceeded");
    BOOST_TEST_REQUIRE(refused.diag.retry_after.has_value());
    BOOST_TEST((*refused.diag.retry_after > seconds(19) && *refused.diag.retry_after <= seconds(20)));
}

// A call sent again reports every attempt, and the response that answered.
BOOST_FIXTURE_TEST_CASE(a_retried_call_counts_its_attempts, emulator_fixture) {
    auto options = client_options_for();
    options.retry.max_retries = 1;
    options.retry.initial_backoff = milliseconds(1);
    options.retry.max_retry_after = milliseconds(1);
    auto c = make_client(options);
    const chat_completion answer = run([&]() -> asio::awaitable<chat_completion> {
        const chat_request request = echo_request("x");
        const request_options once = fault("status=503,fail-times=1,id=response-info-retry");
        co_return co_await c.async_chat(request, once);
    }());
    BOOST_TEST(answer.response.attempts == 2u);
    BOOST_TEST(answer.response.http_status == 200u);
    BOOST_TEST(!answer.response.rate_limits.limit_requests.has_value()); // this emulator sets no limits
}

BOOST_AUTO_TEST_SUITE_END()
