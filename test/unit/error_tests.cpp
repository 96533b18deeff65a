// Error codes, the exception that carries diagnostics, and reading the error
// bodies gateways and proxies send.
#include <dgrid/error.hpp>
#include <dgrid/error_with_diagnostics.hpp>
#include <dgrid/json.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <set>
#include <string>
#include <utility>

using namespace dgrid;

namespace {

constexpr int first_error = static_cast<int>(error::missing_api_key);
constexpr int last_error = static_cast<int>(error::upstream_error);

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

diagnostics read_body(std::string_view body) {
    diagnostics diag;
    read_error_body(body, diag);
    return diag;
}

} // namespace

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(category) {
    BOOST_TEST(std::string(error_category().name()) == "dgrid");
    const error_code ec = error::rate_limited;
    BOOST_TEST(&ec.category() == &error_category());
    BOOST_TEST(ec.value() == static_cast<int>(error::rate_limited));
    BOOST_TEST(ec == error_code(error::rate_limited));
    BOOST_TEST(ec != error_code(error::bad_gateway));
    BOOST_TEST(!error_code());
}

BOOST_AUTO_TEST_CASE(every_enumerator_has_a_distinct_message) {
    BOOST_TEST(first_error == 1); // 0 must stay "no error"
    BOOST_TEST(last_error == 32);
    std::set<std::string> seen;
    for (int v = first_error; v <= last_error; ++v) {
        const std::string text = make_error_code(static_cast<error>(v)).message();
        BOOST_TEST(!text.empty(), "error " << v);
        BOOST_TEST(text != "unknown dgrid error", "error " << v);
        BOOST_TEST(seen.insert(text).second, "error " << v << " repeats \"" << text << '"');
    }
    BOOST_TEST(seen.size() == 32u);
    BOOST_TEST(error_code(error::rate_limited).message() == "rate limited (HTTP 429)");
    BOOST_TEST(error_code(error::malformed_response).message() == "the response does not have the expected shape");
    BOOST_TEST(error_category().message(999) == "unknown dgrid error");
}

// What an error object sent with status 200 stands for.
BOOST_AUTO_TEST_CASE(error_object_mapping) {
    const auto from = [](boost::json::value code, std::string_view type) {
        return error_from_error_object(code, type);
    };
    // A code that is an HTTP status, as a number or as digits.
    BOOST_TEST((from(429, "") == error::rate_limited));
    BOOST_TEST((from(boost::json::value(std::uint64_t(502)), "server_error") == error::bad_gateway));
    BOOST_TEST((from("503", "") == error::service_unavailable));
    BOOST_TEST((from(418, "") == error::upstream_error)); // a status with no error of its own
    BOOST_TEST((from(200, "") == error::upstream_error));
    // Words of the code first, then of the type, in any case.
    BOOST_TEST((from("rate_limit_exceeded", "") == error::rate_limited));
    BOOST_TEST((from(nullptr, "RateLimitError") == error::rate_limited));
    BOOST_TEST((from(nullptr, "rate-limit") == error::rate_limited));
    BOOST_TEST((from("invalid_api_key", "invalid_request_error") == error::authentication_failed));
    BOOST_TEST((from(nullptr, "authentication_error") == error::authentication_failed));
    BOOST_TEST((from("insufficient_quota", "") == error::payment_required));
    BOOST_TEST((from("model_not_found", "") == error::not_found));
    BOOST_TEST((from("context_length_exceeded", "") == error::bad_request));
    BOOST_TEST((from(nullptr, "permission_error") == error::permission_denied));
    BOOST_TEST((from(nullptr, "overloaded_error") == error::service_unavailable));
    BOOST_TEST((from("upstream_error", "server_error") == error::upstream_error));
    BOOST_TEST((from(nullptr, "") == error::upstream_error));
}

BOOST_AUTO_TEST_CASE(http_status_mapping) {
    const std::pair<unsigned, error> expected[] = {
        {400, error::bad_request},      {401, error::authentication_failed},
        {402, error::payment_required}, {403, error::permission_denied},
        {404, error::not_found},        {408, error::request_timeout},
        {409, error::conflict},         {422, error::unprocessable_entity},
        {429, error::rate_limited},     {500, error::internal_server_error},
        {502, error::bad_gateway},      {503, error::service_unavailable},
        {504, error::gateway_timeout},
    };
    for (const auto& [status, e] : expected)
        BOOST_TEST((error_from_http_status(status) == e), "status " << status);
    for (unsigned status : {300u, 301u, 405u, 418u, 451u, 501u, 505u, 599u, 999u})
        BOOST_TEST((error_from_http_status(status) == error::unexpected_status), "status " << status);
}

BOOST_AUTO_TEST_CASE(what_summarizes_what_is_given) {
    diagnostics diag;
    diag.http_status = 429;
    diag.message = "slow down";
    diag.type = "rate_limit_error";
    diag.code = "rate_limit_exceeded";
    diag.request_id = "req-123";
    const error_with_diagnostics e(error::rate_limited, diag);
    const std::string what = e.what();
    BOOST_TEST(what == "dgrid: HTTP 429; slow down; type rate_limit_error; code \"rate_limit_exceeded\"; "
                       "request id req-123: rate limited (HTTP 429) [dgrid:13]");
    BOOST_TEST(e.code() == error_code(error::rate_limited));
    BOOST_TEST(e.get_diagnostics().request_id == "req-123");
    BOOST_TEST(e.get_diagnostics().message == "slow down");
}

BOOST_AUTO_TEST_CASE(what_holds_nothing_not_given) {
    diagnostics diag;
    diag.message = "only this";
    const std::string what = error_with_diagnostics(error::bad_request, diag).what();
    BOOST_TEST(what == "dgrid: only this: bad request (HTTP 400) [dgrid:5]");
    // The summary is what precedes the error_code's own message.
    const std::string summary = what.substr(0, what.find(": bad request"));
    BOOST_TEST(summary == "dgrid: only this");
    for (const char* absent : {"HTTP", "type", "code", "param", "request id", "body", "attempts"})
        BOOST_TEST(!contains(summary, absent), summary << " has " << absent);

    const std::string bare = error_with_diagnostics(error::pool_closed, diagnostics{}).what();
    BOOST_TEST(bare ==
               "dgrid: the client was shut down [dgrid:" + std::to_string(static_cast<int>(error::pool_closed)) + "]");

    // The excerpt stands in for a missing message, and numeric codes print as numbers.
    diagnostics proxy;
    proxy.http_status = 502;
    proxy.body_excerpt = "<html>Bad Gateway</html>";
    proxy.code = 1234;
    proxy.param = "model";
    proxy.attempts = 3;
    proxy.retry_after = std::chrono::milliseconds(1500);
    const std::string what2 = error_with_diagnostics(error::bad_gateway, proxy).what();
    BOOST_TEST(what2 == "dgrid: HTTP 502; code 1234; param model; body: <html>Bad Gateway</html>; 3 attempts: "
                        "bad gateway (HTTP 502) [dgrid:15]");
}

BOOST_AUTO_TEST_CASE(throw_on_error_only_on_error) {
    diagnostics diag;
    diag.request_id = "r";
    BOOST_CHECK_NO_THROW(throw_on_error(error_code(), diag));
    try {
        throw_on_error(error::not_found, diag);
        BOOST_FAIL("throw_on_error did not throw");
    } catch (const error_with_diagnostics& e) {
        BOOST_TEST(e.code() == error_code(error::not_found));
        BOOST_TEST(e.get_diagnostics().request_id == "r");
    }
    // Other categories too, and it is a system_error.
    BOOST_CHECK_THROW(throw_on_error(make_error_code(boost::system::errc::connection_refused), diag),
                      boost::system::system_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(error_body)

BOOST_AUTO_TEST_CASE(openai_shape_with_string_code) {
    const diagnostics d = read_body(R"({"error":{"message":"Invalid model","type":"invalid_request_error",
        "param":"model","code":"model_not_found"}})");
    BOOST_TEST(d.message == "Invalid model");
    BOOST_TEST(d.type == "invalid_request_error");
    BOOST_TEST_REQUIRE(d.param.has_value());
    BOOST_TEST(*d.param == "model");
    BOOST_TEST(d.code.is_string());
    BOOST_TEST(d.code.as_string() == "model_not_found");
    BOOST_TEST(d.body_excerpt.empty());
}

BOOST_AUTO_TEST_CASE(openai_shape_with_numeric_code_and_null_param) {
    const diagnostics d =
        read_body(R"({"error":{"message":"Rate limit","type":"rate_limit","param":null,"code":429},"user_id":"u"})");
    BOOST_TEST(d.message == "Rate limit");
    BOOST_TEST(d.type == "rate_limit");
    BOOST_TEST(!d.param.has_value());
    BOOST_TEST(d.code.is_int64());
    BOOST_TEST(d.code.as_int64() == 429);
    BOOST_TEST(d.body_excerpt.empty());
}

BOOST_AUTO_TEST_CASE(openai_shape_with_null_or_absent_code) {
    diagnostics d = read_body(R"({"error":{"message":"m","code":null}})");
    BOOST_TEST(d.message == "m");
    BOOST_TEST(d.code.is_null());
    BOOST_TEST(d.type.empty());
    BOOST_TEST(!d.param.has_value());

    d = read_body(R"({"error":{"message":"m","code":{"sub":1}}})");
    BOOST_TEST(boost::json::serialize(d.code) == R"({"sub":1})"); // kept as is
}

BOOST_AUTO_TEST_CASE(simple_shapes) {
    diagnostics d = read_body(R"({"error":"Upstream exploded"})");
    BOOST_TEST(d.message == "Upstream exploded");
    BOOST_TEST(d.type.empty());
    BOOST_TEST(d.code.is_null());
    BOOST_TEST(d.body_excerpt.empty());

    d = read_body(R"({"message":"Unauthorized","statusCode":401})");
    BOOST_TEST(d.message == "Unauthorized");
    BOOST_TEST(d.body_excerpt.empty());

    d = read_body(R"({"detail":"Not Found"})");
    BOOST_TEST(d.message == "Not Found");

    // Express: `error` names the type, `message` is the text.
    d = read_body(R"({"error":"TypeError","message":"Cannot read properties of null","status":500})");
    BOOST_TEST(d.message == "Cannot read properties of null");
    BOOST_TEST(d.type == "TypeError");
    BOOST_TEST(d.body_excerpt.empty());
}

BOOST_AUTO_TEST_CASE(html_502_page) {
    const std::string page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                             "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
                             "</body>\r\n</html>\r\n";
    const diagnostics d = read_body(page);
    BOOST_TEST(d.message.empty());
    BOOST_TEST(d.type.empty());
    BOOST_TEST(d.code.is_null());
    BOOST_TEST(d.body_excerpt == "<html> \n<head><title>502 Bad Gateway</title></head> \n<body> \n"
                                 "<center><h1>502 Bad Gateway</h1></center> \n<hr><center>nginx</center> \n"
                                 "</body> \n</html> \n");
}

BOOST_AUTO_TEST_CASE(empty_body) {
    const diagnostics d = read_body("");
    BOOST_TEST(d.message.empty());
    BOOST_TEST(d.body_excerpt.empty());
}

BOOST_AUTO_TEST_CASE(other_json_shapes_are_excerpted) {
    diagnostics d = read_body(R"([1,2])");
    BOOST_TEST(d.message.empty());
    BOOST_TEST(d.body_excerpt == "[1,2]");

    d = read_body(R"({"error":{"type":"no_message"}})");
    BOOST_TEST(d.message.empty());
    BOOST_TEST(d.type == "no_message");
    BOOST_TEST(d.body_excerpt == R"({"error":{"type":"no_message"}})");

    d = read_body(R"({"error":{"message":42}})");
    BOOST_TEST(d.message.empty());
    BOOST_TEST(d.body_excerpt == R"({"error":{"message":42}})");
}

BOOST_AUTO_TEST_CASE(long_body_cut_to_512) {
    const std::string body = "Service Unavailable " + std::string(2000, 'x');
    const diagnostics d = read_body(body);
    BOOST_TEST(d.body_excerpt.size() == 512u);
    BOOST_TEST(d.body_excerpt == body.substr(0, 512));
}

BOOST_AUTO_TEST_CASE(cut_at_utf8_boundary) {
    // 511 ASCII bytes, then a 3-byte character straddling the limit.
    std::string body(511, 'a');
    body += "\xE2\x82\xAC"; // U+20AC
    body += "tail";
    diagnostics d = read_body(body);
    BOOST_TEST(d.body_excerpt == std::string(511, 'a'));

    // Exactly at the limit: a 2-byte character ending at byte 512 is kept.
    body = std::string(510, 'a') + "\xC3\xA9" + "tail";
    d = read_body(body);
    BOOST_TEST(d.body_excerpt == std::string(510, 'a') + "\xC3\xA9");
}

BOOST_AUTO_TEST_CASE(control_characters_become_spaces) {
    const diagnostics d = read_body(std::string_view("a\x01"
                                                     "b\tc\nd\re\x7f"
                                                     "f\0g",
                                                     13));
    BOOST_TEST(d.body_excerpt == std::string("a b\tc\nd e f g"));
}

BOOST_AUTO_TEST_CASE(deep_body_is_excerpted_not_crashed) {
    const std::string deep = std::string(10000, '[') + std::string(10000, ']');
    const diagnostics d = read_body(deep);
    BOOST_TEST(d.message.empty());
    BOOST_TEST(d.body_excerpt == deep.substr(0, 512));
}

BOOST_AUTO_TEST_CASE(clear_forgets_every_field) {
    diagnostics d;
    d.http_status = 429;
    d.message = "slow down";
    d.type = "rate_limit";
    d.param = "model";
    d.code = 7;
    d.request_id = "req_1";
    d.body_excerpt = "<html>";
    d.retry_after = std::chrono::milliseconds(250);
    d.should_retry = true;
    d.attempts = 3;
    d.clear();
    const diagnostics fresh;
    BOOST_TEST(d.http_status == fresh.http_status);
    BOOST_TEST(d.message == fresh.message);
    BOOST_TEST(d.type == fresh.type);
    BOOST_TEST(!d.param.has_value());
    BOOST_TEST(d.code.is_null());
    BOOST_TEST(d.request_id == fresh.request_id);
    BOOST_TEST(d.body_excerpt == fresh.body_excerpt);
    BOOST_TEST(!d.retry_after.has_value());
    BOOST_TEST(!d.should_retry.has_value());
    BOOST_TEST(d.attempts == fresh.attempts);
}

BOOST_AUTO_TEST_SUITE_END()
