// Every way a request can fail: HTTP statuses with their diagnostics, broken
// responses, TLS verification, and configuration refused before any I/O.

#include "canned_server.hpp"
#include "fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

using namespace dgrid;
using namespace dgrid::test;

BOOST_AUTO_TEST_SUITE(errors)

BOOST_FIXTURE_TEST_CASE(every_status_maps_to_its_code_with_diagnostics, emulator_fixture) {
    auto c = make_client();
    const std::pair<unsigned, error> cases[] = {
        {400, error::bad_request},           {401, error::authentication_failed},
        {403, error::permission_denied},     {404, error::not_found},
        {408, error::request_timeout},       {409, error::conflict},
        {422, error::unprocessable_entity},  {429, error::rate_limited},
        {500, error::internal_server_error}, {503, error::service_unavailable},
        {504, error::gateway_timeout},       {418, error::unexpected_status},
    };
    for (auto [status, expected] : cases) {
        auto result = chat(c, with_fault(echo_request("x"), "status=" + std::to_string(status)));
        BOOST_TEST_CONTEXT("status " << status) {
            BOOST_TEST(result.ec == expected);
            BOOST_TEST(result.diag.http_status == status);
            BOOST_TEST(!result.diag.message.empty());
            BOOST_TEST(!result.diag.type.empty());
            BOOST_TEST(result.diag.code.is_string());
            BOOST_TEST(result.diag.request_id.starts_with("req-"));
            BOOST_TEST(result.diag.attempts == 1u);
        }
    }
    // The client stays usable after all of these.
    auto ok =
        run([&]() -> asio::awaitable<std::string> { co_return (co_await c.async_chat(echo_request("ok"))).text(); }());
    BOOST_TEST(ok == "ok");
}

BOOST_FIXTURE_TEST_CASE(numeric_error_code, emulator_fixture) {
    auto c = make_client();
    auto result = chat(c, with_fault(echo_request("x"), "status=400,code=number"));
    BOOST_TEST(result.ec == error::bad_request);
    BOOST_TEST(result.diag.code.is_number());
}

BOOST_FIXTURE_TEST_CASE(proxy_html_page_is_kept_as_an_excerpt, emulator_fixture) {
    auto c = make_client();
    auto result = chat(c, with_fault(echo_request("x"), "status=502"));
    BOOST_TEST(result.ec == error::bad_gateway);
    BOOST_TEST(result.diag.http_status == 502u);
    BOOST_TEST(result.diag.message.empty());
    BOOST_TEST(result.diag.body_excerpt.find("502 Bad Gateway") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(empty_error_body, emulator_fixture) {
    auto c = make_client();
    auto result = chat(c, with_fault(echo_request("x"), "status=500,empty-body"));
    BOOST_TEST(result.ec == error::internal_server_error);
    BOOST_TEST(result.diag.body_excerpt.empty());
}

BOOST_FIXTURE_TEST_CASE(server_side_errors_from_the_emulator, emulator_fixture) {
    auto c = make_client();
    chat_request unknown_model = echo_request("x");
    unknown_model.model = "emulator/nope";
    auto result = chat(c, unknown_model);
    BOOST_TEST(result.ec == error::not_found);
    BOOST_TEST(result.diag.code.as_string() == "model_not_found");

    chat_request no_messages;
    no_messages.model = "emulator/echo";
    result = chat(c, no_messages);
    BOOST_TEST(result.ec == error::bad_request);

    auto options = client_options_for();
    options.api_key = "wrong-key";
    auto wrong_key = make_client(options);
    result = chat(wrong_key, echo_request("x"));
    BOOST_TEST(result.ec == error::authentication_failed);
    BOOST_TEST(result.diag.code.as_string() == "invalid_api_key");
    // The key never shows in what the client reports.
    BOOST_TEST(error_with_diagnostics(result.ec, result.diag).what() != std::string());
    BOOST_TEST(std::string(error_with_diagnostics(result.ec, result.diag).what()).find("wrong-key") ==
               std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(connection_reset_mid_body_is_an_error_and_the_client_recovers, emulator_fixture) {
    auto c = make_client();
    auto result = chat(c, with_fault(echo_request("x"), "reset-mid-body"));
    BOOST_TEST(result.ec.failed());
    BOOST_TEST(!result.diag.message.empty());
    auto ok = run(
        [&]() -> asio::awaitable<std::string> { co_return (co_await c.async_chat(echo_request("again"))).text(); }());
    BOOST_TEST(ok == "again");
    BOOST_TEST(c.stats().open <= 1u);
}

BOOST_FIXTURE_TEST_CASE(reset_before_headers_on_a_fresh_connection_is_reported, emulator_fixture) {
    auto c = make_client();
    auto result = chat(c, with_fault(echo_request("x"), "reset-before-headers"));
    BOOST_TEST(result.ec.failed());
    BOOST_TEST(result.diag.attempts == 1u);
}

BOOST_FIXTURE_TEST_CASE(byte_at_a_time_response, emulator_fixture) {
    auto c = make_client();
    auto text = run([&]() -> asio::awaitable<std::string> {
        const chat_request request = echo_request("slowly, byte by byte");
        const request_options slowly = fault("byte-at-a-time");
        co_return (co_await c.async_chat(request, slowly)).text();
    }());
    BOOST_TEST(text == "slowly, byte by byte");
}

BOOST_FIXTURE_TEST_CASE(response_larger_than_the_limit, emulator_fixture) {
    auto options = client_options_for();
    options.max_response_size = 2048;
    auto c = make_client(options);
    chat_request request = echo_request(std::string(4096, 'a'));
    auto result = chat(c, request);
    BOOST_TEST(result.ec == error::response_too_large);
    auto ok = run(
        [&]() -> asio::awaitable<std::string> { co_return (co_await c.async_chat(echo_request("small"))).text(); }());
    BOOST_TEST(ok == "small");
}

BOOST_FIXTURE_TEST_CASE(response_headers_larger_than_the_limit, emulator_fixture) {
    auto options = client_options_for();
    options.max_header_size = 64;
    auto c = make_client(options);
    auto result = chat(c, echo_request("x"));
    BOOST_TEST(result.ec == error::headers_too_large);
    BOOST_TEST(result.diag.message.find("max_header_size") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(headers_timeout, emulator_fixture) {
    auto options = client_options_for();
    options.timeouts.headers = std::chrono::milliseconds(200);
    options.retry.max_retries = 0;
    auto c = make_client(options);
    auto result = chat(c, with_fault(echo_request("x"), "stall=3000"));
    BOOST_TEST(result.ec == error::headers_timeout);
    BOOST_TEST(c.stats().open == 0u); // the timed-out connection is not kept
}

// The fields the client reads are found in any case, the first of a name
// counts, and an error body that claims a terabyte is read for what it is.
BOOST_AUTO_TEST_CASE(an_error_body_that_claims_a_terabyte) {
    asio::io_context io;
    canned_server server(io, "HTTP/1.1 500 Internal Server Error\r\n"
                             "content-type: application/json\r\n"
                             "X-Request-Id: req-first\r\n"
                             "x-request-id: req-second\r\n"
                             "X-Should-Retry: false\r\n"
                             "Content-Length: 1000000000000\r\n"
                             "\r\n"
                             R"({"error":{"message":"boom","type":"server_error"}})");
    client_options options;
    options.api_key = "k";
    options.base_url = server.base_url();
    options.retry.max_retries = 0;
    client c(io, options);
    std::vector<call_result> results;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            // Twice: the first failure leaves the client usable.
            for (int i = 0; i < 2; ++i)
                results.push_back(co_await stream_once(c, echo_request("x")));
            results.push_back(co_await chat_once(c, echo_request("x")));
            server.close();
        },
        asio::detached);
    io.run();
    BOOST_TEST_REQUIRE(results.size() == 3u);
    for (int i = 0; i < 2; ++i) {
        BOOST_TEST_CONTEXT("stream " << i) {
            BOOST_TEST(results[i].ec == error::internal_server_error);
            BOOST_TEST(results[i].diag.http_status == 500u);
            BOOST_TEST(results[i].diag.message == "boom");
            BOOST_TEST(results[i].diag.request_id == "req-first");
            BOOST_TEST((results[i].diag.should_retry == std::optional<bool>(false)));
        }
    }
    // A call holds the length against max_response_size before reading on.
    BOOST_TEST(results[2].ec == error::response_too_large);
}

BOOST_AUTO_TEST_SUITE(tls)

BOOST_FIXTURE_TEST_CASE(a_certificate_from_an_untrusted_ca_is_refused, emulator_fixture) {
    emulator::server other;
    other.start();
    auto options = client_options_for();
    options.ca_file = other.ca_file().string(); // trusts another CA
    auto c = make_client(options);
    auto result = chat(c, echo_request("x"));
    BOOST_TEST(result.ec.category().name() == std::string("asio.ssl"));
    BOOST_TEST(result.diag.message.find("certificate") != std::string::npos, result.diag.message);
    BOOST_TEST(server.requests_served() == 0u);
}

BOOST_FIXTURE_TEST_CASE(verification_is_off_only_when_asked_by_name, emulator_fixture) {
    auto options = client_options_for();
    options.ca_file.clear(); // the emulator's CA is not trusted
    options.insecure_skip_tls_verification = true;
    auto c = make_client(options);
    auto text = run([&]() -> asio::awaitable<std::string> {
        co_return (co_await c.async_chat(echo_request("unverified"))).text();
    }());
    BOOST_TEST(text == "unverified");
}

BOOST_FIXTURE_TEST_CASE(the_system_store_does_not_trust_the_emulator, emulator_fixture) {
    auto options = client_options_for();
    options.ca_file.clear();
    auto c = make_client(options);
    auto result = chat(c, echo_request("x"));
    BOOST_TEST(result.ec.failed());
    BOOST_TEST(server.requests_served() == 0u);
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_host_name_is_refused) {
    auto options = emulator_defaults();
    options.certificate_names = {"api.example.com"};
    emulator_fixture f(options);
    auto c = f.make_client();
    auto result = f.chat(c, echo_request("x"));
    BOOST_TEST(result.ec.failed());
    BOOST_TEST(result.diag.message.find("mismatch") != std::string::npos, result.diag.message);
    BOOST_TEST(f.server.requests_served() == 0u);
}

BOOST_AUTO_TEST_CASE(localhost_by_name_verifies) {
    emulator_fixture f;
    auto options = f.client_options_for();
    options.base_url = "https://localhost:" + std::to_string(f.server.port()) + "/v1";
    auto c = f.make_client(options);
    auto text = f.run(
        [&]() -> asio::awaitable<std::string> { co_return (co_await c.async_chat(echo_request("sni"))).text(); }());
    BOOST_TEST(text == "sni");
}

BOOST_AUTO_TEST_CASE(plain_http_for_local_gateways) {
    auto options = emulator_defaults();
    options.tls = false;
    emulator_fixture f(options);
    auto c = f.make_client();
    auto text = f.run(
        [&]() -> asio::awaitable<std::string> { co_return (co_await c.async_chat(echo_request("plain"))).text(); }());
    BOOST_TEST(text == "plain");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(configuration)

void check_refused(const client_options& options, error expected, const std::string& fragment) {
    asio::io_context io;
    try {
        client c(io, options);
        BOOST_FAIL("the client was built");
    } catch (const error_with_diagnostics& e) {
        BOOST_TEST(e.code() == expected);
        BOOST_TEST(e.get_diagnostics().message.find(fragment) != std::string::npos, e.get_diagnostics().message);
    }
}

BOOST_FIXTURE_TEST_CASE(missing_key_fails_before_connecting, emulator_fixture) {
    auto options = client_options_for();
    options.api_key.reset();
    ::unsetenv("DGRID_API_KEY");
    check_refused(options, error::missing_api_key, "DGRID_API_KEY");
    options.api_key = "";
    check_refused(options, error::missing_api_key, "api_key");
    BOOST_TEST(server.connections_accepted() == 0u);

    ::setenv("DGRID_API_KEY", "test-key", 1);
    options.api_key.reset();
    auto c = make_client(options);
    ::unsetenv("DGRID_API_KEY");
    BOOST_TEST(*c.options().api_key == "test-key");
}

BOOST_AUTO_TEST_CASE(malformed_base_urls) {
    client_options options;
    options.api_key = "k";
    for (const char* url :
         {"", "api.dgrid.ai/v1", "ftp://api.dgrid.ai", "https://", "https:///v1", "https://:443/v1", "https://host:0",
          "https://host:65536", "https://host:12ab", "https://us er@host", "https://host/v1?x=1", "https://host/v1#f",
          "https://[::1", "https://ho st/v1", "https://host/v 1"}) {
        BOOST_TEST_CONTEXT(url) {
            options.base_url = url;
            check_refused(options, error::invalid_base_url, "");
        }
    }
}

BOOST_AUTO_TEST_CASE(header_injection_is_refused) {
    client_options options;
    options.api_key = "key\r\nX-Injected: 1";
    check_refused(options, error::invalid_header_value, "API key");
    options.api_key = "k";
    options.default_headers = {{"X-Title", "a\nb"}};
    check_refused(options, error::invalid_header_value, "X-Title");
    options.default_headers = {{"Bad Name", "v"}};
    check_refused(options, error::invalid_header_value, "name");
    options.default_headers = {{"Host", "evil"}};
    check_refused(options, error::invalid_header_value, "Host");
    options.default_headers = {{"X-Nul", std::string("a\0b", 3)}};
    check_refused(options, error::invalid_header_value, "X-Nul");
}

BOOST_FIXTURE_TEST_CASE(per_request_problems_fail_before_any_io, emulator_fixture) {
    auto c = make_client();
    chat_request request = echo_request("x");
    request_options options;
    options.extra_headers.push_back({"X-Bad", "a\r\nb"});
    auto result = chat(c, {request, options});
    BOOST_TEST(result.ec == error::invalid_header_value);
    BOOST_TEST(result.diag.message.find("request_options::extra_headers") != std::string::npos, result.diag.message);
    options = {};
    options.idempotency_key = "a\nb";
    result = stream(c, {request, options});
    BOOST_TEST(result.ec == error::invalid_header_value);
    BOOST_TEST(result.diag.message.find("idempotency_key") != std::string::npos, result.diag.message);
    options = {};
    options.extra_headers.push_back({"Authorization", "Bearer other"});
    auto models = run([&]() -> asio::awaitable<error_code> {
        auto [ec, list] = co_await c.async_list_models(options, asio::as_tuple(asio::use_awaitable));
        co_return ec;
    }());
    BOOST_TEST(models == error::invalid_header_value);
    request.temperature = std::numeric_limits<double>::quiet_NaN();
    result = chat(c, request);
    BOOST_TEST(result.ec == error::invalid_request);
    BOOST_TEST(server.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
