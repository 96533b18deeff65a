// Retry decisions, waits, Retry-After parsing and the retry budget: sans-io.
#include <dgrid/detail/engine/retry_rules.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace dgrid;
using namespace dgrid::detail;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

diagnostics with_status(unsigned status) {
    diagnostics diag;
    diag.http_status = status;
    return diag;
}

} // namespace

BOOST_AUTO_TEST_SUITE(retry_rules)

BOOST_AUTO_TEST_CASE(what_is_retried) {
    for (error e : {error::request_timeout, error::conflict, error::rate_limited, error::internal_server_error,
                    error::bad_gateway, error::service_unavailable, error::gateway_timeout, error::connect_timeout,
                    error::headers_timeout, error::stream_idle_timeout, error::total_timeout, error::stream_truncated,
                    error::stream_error})
        BOOST_TEST(is_retryable(e, {}), make_error_code(e).message());
    for (error e : {error::bad_request, error::authentication_failed, error::payment_required, error::permission_denied,
                    error::not_found, error::unprocessable_entity, error::invalid_json, error::malformed_response,
                    error::response_too_large, error::headers_too_large, error::missing_api_key, error::invalid_request,
                    error::event_too_large, error::not_an_event_stream, error::pool_closed})
        BOOST_TEST(!is_retryable(e, {}), make_error_code(e).message());
    BOOST_TEST(is_retryable(error::unexpected_status, with_status(507)));
    BOOST_TEST(!is_retryable(error::unexpected_status, with_status(418)));
    BOOST_TEST(!is_retryable(error_code(), {}));
}

BOOST_AUTO_TEST_CASE(connection_errors_but_not_cancellation) {
    namespace aerr = boost::asio::error;
    for (error_code ec : {error_code(aerr::connection_reset), error_code(aerr::connection_refused),
                          error_code(aerr::eof), error_code(aerr::broken_pipe), error_code(aerr::timed_out),
                          error_code(boost::beast::http::error::partial_message)})
        BOOST_TEST(is_retryable(ec, {}), ec.message());
    BOOST_TEST(!is_retryable(aerr::operation_aborted, {}));
    BOOST_TEST(!is_retryable(aerr::host_not_found, {}));
    BOOST_TEST(!is_retryable(boost::beast::http::error::bad_version, {}));
}

BOOST_AUTO_TEST_CASE(x_should_retry_overrides) {
    auto diag = with_status(400);
    diag.should_retry = true;
    BOOST_TEST(is_retryable(error::bad_request, diag));
    diag = with_status(503);
    diag.should_retry = false;
    BOOST_TEST(!is_retryable(error::service_unavailable, diag));
}

BOOST_AUTO_TEST_CASE(exponential_backoff_with_jitter) {
    retry_policy policy;
    diagnostics none;
    BOOST_TEST(retry_delay(policy, 0, none, 0.0).count() == 500);
    BOOST_TEST(retry_delay(policy, 1, none, 0.0).count() == 1000);
    BOOST_TEST(retry_delay(policy, 2, none, 0.0).count() == 2000);
    BOOST_TEST(retry_delay(policy, 4, none, 0.0).count() == 8000);
    BOOST_TEST(retry_delay(policy, 40, none, 0.0).count() == 8000); // capped, no overflow
    // Jitter only shortens, by at most its share.
    BOOST_TEST(retry_delay(policy, 0, none, 0.999).count() >= 375);
    BOOST_TEST(retry_delay(policy, 0, none, 0.5).count() == 437);
}

BOOST_AUTO_TEST_CASE(the_servers_wish_within_the_cap) {
    retry_policy policy;
    diagnostics diag;
    diag.retry_after = milliseconds(1500);
    BOOST_TEST(retry_delay(policy, 0, diag, 0.5).count() == 1500);
    diag.retry_after = milliseconds(0);
    BOOST_TEST(retry_delay(policy, 0, diag, 0.5).count() == 0);
    diag.retry_after = seconds(120); // beyond max_retry_after: computed backoff
    BOOST_TEST(retry_delay(policy, 0, diag, 0.0).count() == 500);
}

BOOST_AUTO_TEST_CASE(retry_after_headers) {
    auto now = std::chrono::system_clock::time_point(seconds(784111777)); // Sun, 06 Nov 1994 08:49:37 GMT
    BOOST_TEST(parse_retry_after("250", "", now)->count() == 250);
    BOOST_TEST(parse_retry_after("1.5", "", now)->count() == 1);
    BOOST_TEST(parse_retry_after("", "2", now)->count() == 2000);
    BOOST_TEST(parse_retry_after("", " 0.5 ", now)->count() == 500);
    BOOST_TEST(parse_retry_after("junk", "3", now)->count() == 3000); // ms unreadable: seconds
    BOOST_TEST(parse_retry_after("", "Sun, 06 Nov 1994 08:49:47 GMT", now)->count() == 10000);
    BOOST_TEST(parse_retry_after("", "Sun, 06 Nov 1994 08:49:27 GMT", now)->count() == 0); // past
    BOOST_TEST(!parse_retry_after("", "", now));
    BOOST_TEST(!parse_retry_after("-5", "-1", now));
    BOOST_TEST(!parse_retry_after("", "soon", now));
    BOOST_TEST(!parse_retry_after("nan", "inf", now));
    BOOST_TEST(!parse_retry_after("1e300", "1e300", now));
}

BOOST_AUTO_TEST_CASE(http_dates) {
    auto date = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
    BOOST_REQUIRE(date);
    BOOST_TEST(std::chrono::duration_cast<seconds>(date->time_since_epoch()).count() == 784111777);
    BOOST_TEST(!parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"));
    BOOST_TEST(!parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"));
    BOOST_TEST(!parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
    BOOST_TEST(!parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
    BOOST_TEST(!parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
    BOOST_TEST(!parse_http_date(""));
}

BOOST_AUTO_TEST_CASE(the_budget_allows_a_share_of_the_traffic) {
    retry_policy policy;
    policy.budget_ratio = 0.1;
    policy.budget_min_retries = 2;
    policy.budget_window = seconds(10);
    retry_budget budget(policy);
    auto t = retry_budget::clock::time_point(seconds(1000));
    for (int i = 0; i < 100; ++i)
        budget.on_request(t);
    int allowed = 0;
    for (int i = 0; i < 50; ++i)
        allowed += budget.try_retry(t);
    BOOST_TEST(allowed == 12); // 2 + 10% of 100
    // The window slides: old traffic and old retries are forgotten.
    t += seconds(11);
    allowed = 0;
    for (int i = 0; i < 50; ++i)
        allowed += budget.try_retry(t);
    BOOST_TEST(allowed == 2);
}

BOOST_AUTO_TEST_SUITE_END()
