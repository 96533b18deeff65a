// What a response's head says besides its status: the rate-limit headers as
// OpenAI writes them, and the fields a user asked to keep.
#include <dgrid/detail/http/response_metadata.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

using namespace dgrid;
using namespace dgrid::detail;
using std::chrono::milliseconds;

namespace {

// `head` read by a response_reader that keeps `names`, then described.
response_info described(std::string_view head, const std::vector<std::string>& names = {}) {
    response_reader reader;
    reader.keep_fields(names);
    reader.skip(true); // the head only
    boost::beast::error_code ec;
    reader.put(boost::asio::buffer(head.data(), head.size()), ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST_REQUIRE(reader.is_header_done());
    response_info info;
    read_response_info(reader, info);
    return info;
}

} // namespace

BOOST_AUTO_TEST_SUITE(response_metadata)

BOOST_AUTO_TEST_CASE(reset_durations_as_openai_writes_them) {
    const std::pair<std::string_view, long long> readable[] = {
        {"1s", 1000},        {"6m0s", 360'000},
        {"20ms", 20},        {"1h2m3.5s", 3'723'500},
        {"8.64s", 8640},     {"0s", 0},
        {"59.999s", 59'999}, {"1m30s", 90'000},
        {"999us", 1},        {"1500\xC2\xB5s", 2},
        {"250ns", 0},        {"2h", 7'200'000},
        {"17", 17'000},      {"0.5", 500},
        {"1.s", 1000},
    };
    for (const auto& [text, ms] : readable) {
        const auto parsed = parse_reset_duration(text);
        BOOST_TEST_REQUIRE(parsed.has_value(), text);
        BOOST_TEST(parsed->count() == ms, text);
    }
    for (std::string_view unreadable : {"", "s", "1x", "-1s", "1s2", "1 s", "m5", "1e3s", ".", "1..5s", "1s "})
        BOOST_TEST(!parse_reset_duration(unreadable).has_value(), unreadable);
}

BOOST_AUTO_TEST_CASE(rate_limit_headers_are_read_in_any_case) {
    const response_info info = described("HTTP/1.1 200 OK\r\n"
                                         "x-request-id: req-7\r\n"
                                         "X-RateLimit-Limit-Requests: 500\r\n"
                                         "x-ratelimit-limit-tokens: 30000\r\n"
                                         "x-ratelimit-remaining-requests: 499\r\n"
                                         "x-ratelimit-remaining-tokens: 29120\r\n"
                                         "x-ratelimit-reset-requests: 120ms\r\n"
                                         "x-ratelimit-reset-tokens: 1m45.6s\r\n"
                                         "Content-Length: 0\r\n\r\n");
    BOOST_TEST(info.http_status == 200u);
    BOOST_TEST(info.request_id == "req-7");
    BOOST_TEST(info.rate_limits.limit_requests.value_or(-1) == 500);
    BOOST_TEST(info.rate_limits.limit_tokens.value_or(-1) == 30000);
    BOOST_TEST(info.rate_limits.remaining_requests.value_or(-1) == 499);
    BOOST_TEST(info.rate_limits.remaining_tokens.value_or(-1) == 29120);
    BOOST_TEST(info.rate_limits.reset_requests->count() == 120);
    BOOST_TEST(info.rate_limits.reset_tokens->count() == 105'600);
    BOOST_TEST(info.headers.empty()); // none asked for
}

BOOST_AUTO_TEST_CASE(absent_or_unreadable_rate_limits_stay_empty) {
    const response_info info = described("HTTP/1.1 429 Too Many Requests\r\n"
                                         "x-ratelimit-limit-requests: many\r\n"
                                         "x-ratelimit-remaining-requests: -1\r\n"
                                         "x-ratelimit-reset-requests: soon\r\n"
                                         "x-ratelimit-limit-tokens-extra: 5\r\n"
                                         "x-ratelimit-: 5\r\n"
                                         "Content-Length: 0\r\n\r\n");
    BOOST_TEST(info.http_status == 429u);
    BOOST_TEST(!info.rate_limits.limit_requests.has_value());
    BOOST_TEST(!info.rate_limits.remaining_requests.has_value());
    BOOST_TEST(!info.rate_limits.reset_requests.has_value());
    BOOST_TEST(!info.rate_limits.limit_tokens.has_value());
    BOOST_TEST(!info.rate_limits.remaining_tokens.has_value());
    BOOST_TEST(!info.rate_limits.reset_tokens.has_value());
}

BOOST_AUTO_TEST_CASE(fields_asked_for_are_kept_in_the_order_received) {
    const response_info info = described("HTTP/1.1 200 OK\r\n"
                                         "openai-processing-ms: 312\r\n"
                                         "X-Cache: HIT\r\n"
                                         "Server: nginx\r\n"
                                         "x-cache: second\r\n"
                                         "x-ratelimit-remaining-tokens: 10\r\n"
                                         "Content-Length: 0\r\n\r\n",
                                         {"x-cache", "OpenAI-Processing-Ms", "X-RateLimit-Remaining-Tokens", "absent"});
    BOOST_TEST_REQUIRE(info.headers.size() == 4u);
    BOOST_TEST(info.headers[0].name == "openai-processing-ms");
    BOOST_TEST(info.headers[0].value == "312");
    BOOST_TEST(info.headers[1].name == "X-Cache");
    BOOST_TEST(info.headers[1].value == "HIT");
    BOOST_TEST(info.headers[2].value == "second"); // each one received
    BOOST_TEST(info.headers[3].value == "10");
    BOOST_TEST(info.rate_limits.remaining_tokens.value_or(-1) == 10); // read as well
}

BOOST_AUTO_TEST_SUITE_END()
