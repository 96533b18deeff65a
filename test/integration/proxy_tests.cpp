// HTTP proxies, through a real one (tinyproxy) started on 127.0.0.1: a CONNECT
// tunnel with TLS to the gateway inside, plain HTTP in absolute form, Basic
// authentication accepted and refused, a refused tunnel, the environment as
// curl reads it with NO_PROXY, and a proxy that dies under a stream.

#include "fixture.hpp"
#include "proxy_server.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <string>

using namespace dgrid;
using namespace dgrid::test;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

// Sets an environment variable for as long as it lives.
class scoped_env {
public:
    scoped_env(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
    ~scoped_env() { ::unsetenv(name_); }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    const char* name_;
};

// None of the variables a proxy may come from is set.
void clear_proxy_environment() {
    for (const char* name :
         {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"})
        ::unsetenv(name);
}

struct plain_emulator : emulator_fixture {
    plain_emulator() : emulator_fixture(plain()) {}
    static emulator::server_options plain() {
        emulator::server_options options = emulator_defaults();
        options.tls = false;
        return options;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(proxy_tests)

BOOST_FIXTURE_TEST_CASE(tls_to_the_gateway_through_a_connect_tunnel, emulator_fixture) {
    clear_proxy_environment();
    proxy_server proxy;
    auto options = client_options_for();
    options.proxy = proxy.url();
    auto c = make_client(options);
    BOOST_TEST(chat(c, echo_request("tunnelled")).text == "tunnelled");
    auto streamed = stream(c, echo_request("tunnelled stream"));
    BOOST_TEST(!streamed.ec, streamed.ec.message() << ": " << streamed.diag.message);
    BOOST_TEST(streamed.text == "tunnelled stream");
    BOOST_TEST(server.tls_handshakes() >= 1u);

    // Without the proxy there is no way through: proof that the calls took it.
    proxy.kill();
    auto options_dead = client_options_for();
    options_dead.proxy = proxy.url();
    auto cut_off = make_client(options_dead);
    auto result = chat(cut_off, echo_request("x"));
    BOOST_TEST(result.ec == asio::error::connection_refused, result.ec.message());
    BOOST_TEST(result.diag.message == "cannot connect to the proxy " + proxy.url());
}

BOOST_FIXTURE_TEST_CASE(credentials_for_the_tunnel, emulator_fixture) {
    clear_proxy_environment();
    proxy_server proxy({"user", "secret", {}});
    auto options = client_options_for();
    options.proxy = proxy.url("us%65r:s%65cret"); // percent-encoded, as a URL may be
    auto c = make_client(options);
    BOOST_TEST(chat(c, echo_request("allowed")).text == "allowed");

    // Refused credentials are final: no retry waits its backoff.
    for (const std::string credentials : {std::string(), std::string("user:wrong")}) {
        auto refused_options = client_options_for();
        refused_options.proxy = proxy.url(credentials);
        refused_options.retry.max_retries = 2;
        refused_options.retry.initial_backoff = milliseconds(2000);
        auto refused = make_client(refused_options);
        const auto started = steady::now();
        for (const call_result& r : {chat(refused, echo_request("x")), stream(refused, echo_request("x"))}) {
            BOOST_TEST(r.ec == error::proxy_authentication_required, r.ec.message());
            BOOST_TEST((r.diag.http_status == 407u || r.diag.http_status == 401u), r.diag.http_status);
            BOOST_TEST(r.diag.message.find(credentials.empty() ? "(none were given)" : "(those given were refused)") !=
                           std::string::npos,
                       r.diag.message);
            BOOST_TEST(r.diag.message.find("wrong") == std::string::npos); // the password stays out
        }
        BOOST_TEST((steady::now() - started < milliseconds(1500)));
    }
}

BOOST_FIXTURE_TEST_CASE(a_tunnel_the_proxy_refuses, emulator_fixture) {
    clear_proxy_environment();
    proxy_server proxy({{}, {}, {443}}); // CONNECT only to port 443
    auto options = client_options_for();
    options.proxy = proxy.url();
    options.retry.max_retries = 2;
    auto c = make_client(options);
    auto result = chat(c, echo_request("x"));
    BOOST_TEST(result.ec == error::proxy_refused, result.ec.message());
    BOOST_TEST(result.diag.http_status == 403u);
    BOOST_TEST(result.diag.message.find("refused the tunnel to 127.0.0.1:" + std::to_string(server.port()) +
                                        ": HTTP 403") != std::string::npos,
               result.diag.message);
    BOOST_TEST(server.connections_accepted() == 0u);
}

// Plain HTTP goes to the proxy as absolute-form requests, with the
// credentials on each.
BOOST_FIXTURE_TEST_CASE(plain_http_through_the_proxy, plain_emulator) {
    clear_proxy_environment();
    proxy_server proxy({"user", "secret", {}});
    auto options = client_options_for();
    options.ca_file.clear();
    options.proxy = proxy.url("user:secret");
    auto c = make_client(options);
    BOOST_TEST(chat(c, echo_request("forwarded")).text == "forwarded");
    auto streamed = stream(c, echo_request("forwarded stream"));
    BOOST_TEST(!streamed.ec, streamed.ec.message() << ": " << streamed.diag.message);
    BOOST_TEST(streamed.text == "forwarded stream");
    auto models = run([&]() -> asio::awaitable<model_list> { co_return co_await c.async_list_models(); }());
    BOOST_TEST(!models.data.empty());

    // Without credentials: 407. (tinyproxy answers wrong ones with 401,
    // which in plain HTTP cannot be told from the gateway's; and it closes
    // without reading a refused request's body, which resets a POST before
    // its answer is read: a GET shows the 407.)
    options.proxy = proxy.url();
    options.retry.max_retries = 2;
    auto refused = make_client(options);
    diagnostics diag;
    auto ec = run([&]() -> asio::awaitable<error_code> {
        auto [e, list] = co_await refused.async_list_models(diag, asio::as_tuple(asio::use_awaitable));
        co_return e;
    }());
    BOOST_TEST(ec == error::proxy_authentication_required, ec.message());
    BOOST_TEST(diag.http_status == 407u);
    BOOST_TEST(diag.attempts == 1u); // not retried
}

// Without client_options::proxy the environment decides, as curl reads it.
BOOST_FIXTURE_TEST_CASE(the_environment_and_no_proxy, emulator_fixture) {
    clear_proxy_environment();
    proxy_server proxy({"user", "secret", {}});
    const std::string direct_text = "direct";
    { // the proxy from the environment is taken: without credentials it refuses
        scoped_env https_proxy("HTTPS_PROXY", proxy.url());
        auto c = make_client();
        BOOST_TEST(chat(c, echo_request("x")).ec == error::proxy_authentication_required);
        scoped_env lower("https_proxy", proxy.url("user:secret")); // lower case first
        auto lower_c = make_client();
        BOOST_TEST(chat(lower_c, echo_request("lower case")).text == "lower case");
    }
    { // all_proxy when no https_proxy is set
        scoped_env all("ALL_PROXY", proxy.url());
        auto c = make_client();
        BOOST_TEST(chat(c, echo_request("x")).ec == error::proxy_authentication_required);
    }
    { // NO_PROXY: the host itself, a CIDR range, or everything
        scoped_env https_proxy("https_proxy", proxy.url());
        for (const char* bypass : {"127.0.0.1", "example.com, 127.0.0.0/8", "*"}) {
            scoped_env no_proxy("NO_PROXY", bypass);
            auto c = make_client();
            BOOST_TEST(chat(c, echo_request(direct_text)).text == direct_text, bypass);
        }
        scoped_env no_proxy("no_proxy", "example.com,10.0.0.0/8"); // not this host
        auto c = make_client();
        BOOST_TEST(chat(c, echo_request("x")).ec == error::proxy_authentication_required);
        auto options = client_options_for();
        options.proxy = ""; // none, whatever the environment says
        auto direct = make_client(options);
        BOOST_TEST(chat(direct, echo_request(direct_text)).text == direct_text);
    }
    { // a malformed variable is an error, not a direct connection
        scoped_env https_proxy("https_proxy", "socks5://127.0.0.1:1080");
        BOOST_CHECK_EXCEPTION(make_client(), error_with_diagnostics, [](const error_with_diagnostics& e) {
            return e.code() == error::invalid_base_url &&
                   e.get_diagnostics().message.find("https_proxy") != std::string::npos;
        });
    }
}

BOOST_FIXTURE_TEST_CASE(a_proxy_that_dies_under_a_stream, emulator_fixture) {
    clear_proxy_environment();
    proxy_server proxy;
    auto options = client_options_for();
    options.proxy = proxy.url();
    options.retry.max_retries = 2;
    auto c = make_client(options);
    auto ended = run([&]() -> asio::awaitable<std::pair<error_code, std::string>> {
        const test_call slow = with_token_delay(echo_request("one two three four five six"), 100);
        diagnostics diag;
        auto token = asio::as_tuple(asio::use_awaitable);
        auto [ec, stream] = co_await c.async_chat_stream(slow.request, slow.options, diag, token);
        std::string text;
        while (!ec) {
            auto [next_ec, more] = co_await stream.async_next(diag, token);
            ec = next_ec;
            if (ec || !more)
                break;
            text += stream.chunk().text();
            if (text == "one ")
                proxy.kill();
        }
        co_return std::pair{ec, text};
    }());
    BOOST_TEST((ended.first == error::stream_truncated || ended.first == asio::error::connection_reset),
               ended.first.message());
    BOOST_TEST(ended.second == "one ");
    BOOST_TEST(c.stats().open == 0u);
    // The client goes on: the next call fails at once, cleanly.
    auto next = chat(c, echo_request("x"));
    BOOST_TEST(next.ec == asio::error::connection_refused, next.ec.message());
}

BOOST_AUTO_TEST_SUITE_END()
