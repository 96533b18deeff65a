// Proxy configuration: proxy URLs, NO_PROXY lists, the environment as curl
// reads it, and the CONNECT request. Sans-io, before any connection exists.
#include <dgrid/detail/http/proxy_config.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

using dgrid::detail::bypasses_proxy;
using dgrid::detail::connect_request;
using dgrid::detail::parse_proxy_url;
using dgrid::detail::proxy_endpoint;
using dgrid::detail::proxy_from_environment;
using dgrid::detail::resolve_proxy;

namespace {

using environment = std::map<std::string, std::string>;

const dgrid::error_code invalid_base_url(dgrid::error::invalid_base_url);

proxy_endpoint parse_ok(const std::string& text) {
    proxy_endpoint proxy;
    std::string why;
    const auto ec = parse_proxy_url(text, proxy, why);
    BOOST_TEST(!ec, text << ": " << why);
    return proxy;
}

std::string refusal(const std::string& text) {
    proxy_endpoint proxy;
    std::string why;
    const auto ec = parse_proxy_url(text, proxy, why);
    BOOST_TEST(ec == invalid_base_url, text);
    return why;
}

// `host:port` of the proxy a request to `host` goes through, or "direct".
std::string described(const std::optional<proxy_endpoint>& proxy) {
    return proxy ? proxy->host + ":" + proxy->port : "direct";
}

// What proxy_from_environment decides in `env` in place of the process's
// environment; `why` receives its refusal.
dgrid::error_code from_environment(const environment& env, bool https, std::string_view host,
                                   std::optional<proxy_endpoint>& proxy, std::string& why) {
    const auto lookup = [&](const char* name) -> const char* {
        const auto found = env.find(name);
        return found == env.end() ? nullptr : found->second.c_str();
    };
    return proxy_from_environment(https, host, lookup, proxy, why);
}

std::string proxy_for(const environment& env, bool https, std::string_view host = "api.dgrid.ai") {
    std::optional<proxy_endpoint> proxy;
    std::string why;
    const auto ec = from_environment(env, https, host, proxy, why);
    BOOST_TEST(!ec, why);
    return described(proxy);
}

std::string environment_refusal(const environment& env, bool https) {
    std::optional<proxy_endpoint> proxy;
    std::string why;
    const auto ec = from_environment(env, https, "api.dgrid.ai", proxy, why);
    BOOST_TEST(ec == invalid_base_url, why);
    BOOST_TEST(!proxy.has_value());
    return why;
}

// Sets (or, with no value, unsets) a variable of the process's environment
// for the life of the object.
class scoped_variable {
public:
    scoped_variable(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        set(value);
    }
    scoped_variable(const scoped_variable&) = delete;
    scoped_variable& operator=(const scoped_variable&) = delete;
    ~scoped_variable() { set(old_); }

private:
    void set(const std::optional<std::string>& value) {
        if (value)
            ::setenv(name_, value->c_str(), 1);
        else
            ::unsetenv(name_);
    }

    const char* name_;
    std::optional<std::string> old_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(proxy_config)

BOOST_AUTO_TEST_CASE(host_and_port) {
    const auto proxy = parse_ok("http://proxy.corp:3128");
    BOOST_TEST(proxy.host == "proxy.corp");
    BOOST_TEST(proxy.port == "3128");
    BOOST_TEST(!proxy.host_is_ip);
    BOOST_TEST(proxy.authorization == "");
    BOOST_TEST(proxy.url_for_messages == "http://proxy.corp:3128");
}

BOOST_AUTO_TEST_CASE(curls_default_port_and_a_trailing_slash) {
    auto proxy = parse_ok("http://proxy.corp");
    BOOST_TEST(proxy.port == "1080");
    BOOST_TEST(proxy.url_for_messages == "http://proxy.corp:1080");
    proxy = parse_ok("http://proxy.corp/");
    BOOST_TEST(proxy.host == "proxy.corp");
    BOOST_TEST(proxy.port == "1080");
    proxy = parse_ok("http://proxy.corp:08080/");
    BOOST_TEST(proxy.port == "8080");
}

BOOST_AUTO_TEST_CASE(no_scheme_means_http_and_the_scheme_has_any_case) {
    auto proxy = parse_ok("proxy.corp:8080");
    BOOST_TEST(proxy.host == "proxy.corp");
    BOOST_TEST(proxy.port == "8080");
    BOOST_TEST(proxy.url_for_messages == "http://proxy.corp:8080");
    proxy = parse_ok("10.0.0.1");
    BOOST_TEST(proxy.host == "10.0.0.1");
    BOOST_TEST(proxy.port == "1080");
    BOOST_TEST(proxy.host_is_ip);
    proxy = parse_ok("HTTP://Proxy.Corp:1");
    BOOST_TEST(proxy.host == "Proxy.Corp");
    BOOST_TEST(proxy.port == "1");
}

BOOST_AUTO_TEST_CASE(ipv6_literals) {
    auto proxy = parse_ok("http://[::1]:3128");
    BOOST_TEST(proxy.host == "::1");
    BOOST_TEST(proxy.port == "3128");
    BOOST_TEST(proxy.host_is_ip);
    BOOST_TEST(proxy.url_for_messages == "http://[::1]:3128");
    proxy = parse_ok("[fd00::1]");
    BOOST_TEST(proxy.host == "fd00::1");
    BOOST_TEST(proxy.port == "1080");
    BOOST_TEST(proxy.url_for_messages == "http://[fd00::1]:1080");
}

BOOST_AUTO_TEST_CASE(credentials_give_basic_authentication) {
    // base64("alice:s@cret"): the %40 is decoded before encoding.
    auto proxy = parse_ok("http://alice:s%40cret@proxy.corp:3128");
    BOOST_TEST(proxy.host == "proxy.corp");
    BOOST_TEST(proxy.port == "3128");
    BOOST_TEST(proxy.authorization == "Basic YWxpY2U6c0BjcmV0");
    BOOST_TEST(proxy.url_for_messages == "http://alice@proxy.corp:3128");

    // A user without a password: base64("bob:").
    proxy = parse_ok("bob@proxy.corp");
    BOOST_TEST(proxy.authorization == "Basic Ym9iOg==");
    BOOST_TEST(proxy.url_for_messages == "http://bob@proxy.corp:1080");

    // A bare '@' in the password: the last '@' ends the user info. base64("u:p@ss").
    proxy = parse_ok("http://u:p@ss@proxy.corp");
    BOOST_TEST(proxy.host == "proxy.corp");
    BOOST_TEST(proxy.authorization == "Basic dTpwQHNz");
    BOOST_TEST(proxy.url_for_messages == "http://u@proxy.corp:1080");

    // Credentials and an IPv6 literal together.
    proxy = parse_ok("http://alice:s%40cret@[::1]:3128/");
    BOOST_TEST(proxy.host == "::1");
    BOOST_TEST(proxy.authorization == "Basic YWxpY2U6c0BjcmV0");
    BOOST_TEST(proxy.url_for_messages == "http://alice@[::1]:3128");
}

BOOST_AUTO_TEST_CASE(refusals_say_why) {
    BOOST_TEST(refusal("https://proxy.corp:443").find("https://") != std::string::npos);
    BOOST_TEST(refusal("HTTPS://proxy.corp").find("https://") != std::string::npos);
    BOOST_TEST(refusal("socks5://proxy.corp:1080").find("socks5://") != std::string::npos);
    BOOST_TEST(refusal("ftp://proxy.corp").find("ftp://") != std::string::npos);
    BOOST_TEST(refusal("").find("host") != std::string::npos);
    BOOST_TEST(refusal("http://").find("host") != std::string::npos);
    BOOST_TEST(refusal("http://:3128").find("host") != std::string::npos);
    BOOST_TEST(refusal("http://alice:pw@").find("host") != std::string::npos);
    BOOST_TEST(refusal("http://pro_xy").find("host") != std::string::npos);
    BOOST_TEST(refusal("http://proxy.corp:").find("port") != std::string::npos);
    BOOST_TEST(refusal("http://proxy.corp:0").find("port") != std::string::npos);
    BOOST_TEST(refusal("http://proxy.corp:65536").find("port") != std::string::npos);
    BOOST_TEST(refusal("http://proxy.corp:-1").find("port") != std::string::npos);
    BOOST_TEST(refusal("http://proxy.corp:31x").find("port") != std::string::npos);
    BOOST_TEST(refusal("http://[::1]:").find("port") != std::string::npos);
    BOOST_TEST(refusal("http://proxy.corp:3128/path").find("path") != std::string::npos);
    BOOST_TEST(refusal("http://proxy.corp//").find("path") != std::string::npos);
    BOOST_TEST(refusal("http://[::1").find("IPv6") != std::string::npos);
    BOOST_TEST(refusal("http://[proxy.corp]:3128").find("IPv6") != std::string::npos);
    BOOST_TEST(refusal("http://[10.0.0.1]").find("IPv6") != std::string::npos);
    BOOST_TEST(refusal("http://[::1]x").find("IPv6") != std::string::npos);
    BOOST_TEST(refusal("http://alice:s%4@proxy.corp").find("%25") != std::string::npos);
    BOOST_TEST(refusal("http://alice:s%zzcret@proxy.corp").find("%25") != std::string::npos);
    BOOST_TEST(refusal("http://al%ice@proxy.corp").find("%25") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(spaces_and_control_characters_are_refused_anywhere) {
    using namespace std::string_literals; // for the NULs
    const std::string texts[] = {"http://pro xy.corp"s,       "http://proxy.corp\r\nX-Injected: 1"s,
                                 "http://proxy.corp:3128\n"s, "http://alice:pw\r@proxy.corp"s,
                                 "http://proxy.corp\x7f"s,    "\thttp://proxy.corp"s,
                                 "http://proxy.corp\0.evil"s, "http://alice:p\0w@proxy.corp"s};
    for (const std::string& text : texts)
        BOOST_TEST(refusal(text).find("control characters") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(a_star_bypasses_every_host) {
    BOOST_TEST(bypasses_proxy("*", "api.dgrid.ai"));
    BOOST_TEST(bypasses_proxy("*", "10.0.0.1"));
    BOOST_TEST(bypasses_proxy("localhost, *", "api.dgrid.ai"));
    BOOST_TEST(!bypasses_proxy("", "api.dgrid.ai"));
    BOOST_TEST(!bypasses_proxy(" , ", "api.dgrid.ai"));
}

BOOST_AUTO_TEST_CASE(domains_cover_their_subdomains) {
    for (const char* entry : {"example.com", ".example.com", "*.example.com", "EXAMPLE.com", "example.com."}) {
        BOOST_TEST(bypasses_proxy(entry, "example.com"), entry);
        BOOST_TEST(bypasses_proxy(entry, "api.example.com"), entry);
        BOOST_TEST(bypasses_proxy(entry, "Deep.API.Example.Com"), entry);
        BOOST_TEST(bypasses_proxy(entry, "api.example.com."), entry);
        BOOST_TEST(!bypasses_proxy(entry, "badexample.com"), entry);
        BOOST_TEST(!bypasses_proxy(entry, "example.com.evil.net"), entry);
        BOOST_TEST(!bypasses_proxy(entry, "example.org"), entry);
        BOOST_TEST(!bypasses_proxy(entry, "com"), entry);
    }
    BOOST_TEST(bypasses_proxy("localhost", "localhost"));
    BOOST_TEST(!bypasses_proxy("localhost", "notlocalhost"));
    BOOST_TEST(!bypasses_proxy("localhost", "localhost.evil.net"));
    BOOST_TEST(!bypasses_proxy(".", "example.com"));
}

BOOST_AUTO_TEST_CASE(lists_are_split_at_commas_and_blanks) {
    BOOST_TEST(bypasses_proxy(" other.org , example.com ", "api.example.com"));
    BOOST_TEST(bypasses_proxy("other.org,,example.com,", "api.example.com"));
    BOOST_TEST(bypasses_proxy("other.org example.com", "api.example.com"));
    BOOST_TEST(bypasses_proxy("other.org\texample.com", "api.example.com"));
    BOOST_TEST(!bypasses_proxy("other.org, example.net", "api.example.com"));
}

BOOST_AUTO_TEST_CASE(ports_in_entries_are_ignored) {
    BOOST_TEST(bypasses_proxy("example.com:8443", "example.com"));
    BOOST_TEST(bypasses_proxy("example.com:8443", "api.example.com"));
    BOOST_TEST(!bypasses_proxy("example.com:8443", "badexample.com"));
    BOOST_TEST(bypasses_proxy("127.0.0.1:8080", "127.0.0.1"));
    BOOST_TEST(bypasses_proxy("[::1]:8080", "::1"));
    BOOST_TEST(bypasses_proxy("10.0.0.0/8:80", "10.1.2.3"));
}

BOOST_AUTO_TEST_CASE(ip_entries_match_the_same_address) {
    BOOST_TEST(bypasses_proxy("127.0.0.1", "127.0.0.1"));
    BOOST_TEST(!bypasses_proxy("127.0.0.1", "127.0.0.2"));
    BOOST_TEST(bypasses_proxy("::1", "::1"));
    BOOST_TEST(bypasses_proxy("::1", "[::1]"));
    BOOST_TEST(bypasses_proxy("[::1]", "::1"));
    BOOST_TEST(bypasses_proxy("0:0:0:0:0:0:0:1", "::1")); // the same address, written out
    BOOST_TEST(!bypasses_proxy("::1", "::2"));
    BOOST_TEST(!bypasses_proxy("::1", "127.0.0.1"));
}

BOOST_AUTO_TEST_CASE(cidr_ranges_match_the_addresses_in_them) {
    BOOST_TEST(bypasses_proxy("10.0.0.0/8", "10.1.2.3"));
    BOOST_TEST(!bypasses_proxy("10.0.0.0/8", "11.0.0.1"));
    BOOST_TEST(bypasses_proxy("192.168.1.0/24", "192.168.1.200"));
    BOOST_TEST(!bypasses_proxy("192.168.1.0/24", "192.168.2.1"));
    // Not on a byte boundary: 172.16.0.0 to 172.31.255.255.
    BOOST_TEST(bypasses_proxy("172.16.0.0/12", "172.31.255.255"));
    BOOST_TEST(!bypasses_proxy("172.16.0.0/12", "172.32.0.0"));
    BOOST_TEST(!bypasses_proxy("172.16.0.0/12", "172.15.255.255"));
    BOOST_TEST(bypasses_proxy("0.0.0.0/0", "203.0.113.7"));
    BOOST_TEST(bypasses_proxy("10.1.2.3/32", "10.1.2.3"));
    BOOST_TEST(!bypasses_proxy("10.1.2.3/32", "10.1.2.4"));

    BOOST_TEST(bypasses_proxy("::1/128", "::1"));
    BOOST_TEST(!bypasses_proxy("::1/128", "::2"));
    for (const char* entry : {"fd00::/8", "[fd00::]/8", "[fd00::/8]", "FD00::/8"}) {
        BOOST_TEST(bypasses_proxy(entry, "fd12:3456::1"), entry);
        BOOST_TEST(bypasses_proxy(entry, "[fdff::1]"), entry);
        BOOST_TEST(!bypasses_proxy(entry, "fe80::1"), entry);
        BOOST_TEST(!bypasses_proxy(entry, "10.0.0.1"), entry);
    }
}

BOOST_AUTO_TEST_CASE(ip_entries_and_host_names_do_not_mix) {
    // Host names are not resolved.
    BOOST_TEST(!bypasses_proxy("10.0.0.0/8", "ten.example"));
    BOOST_TEST(!bypasses_proxy("127.0.0.1", "localhost"));
    // "0.1" would match "10.0.0.1" as the tail of a name.
    BOOST_TEST(!bypasses_proxy("0.1", "10.0.0.1"));
    BOOST_TEST(!bypasses_proxy("localhost", "127.0.0.1"));
}

BOOST_AUTO_TEST_CASE(malformed_ranges_match_nothing) {
    for (const char* entry : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-1", "::/129", "[::1", "a.b/8"}) {
        BOOST_TEST(!bypasses_proxy(entry, "10.0.0.1"), entry);
        BOOST_TEST(!bypasses_proxy(entry, "::1"), entry);
        BOOST_TEST(!bypasses_proxy(entry, "a.b"), entry);
    }
    // One bad entry does not spoil the list.
    BOOST_TEST(bypasses_proxy("10.0.0.0/33, 10.0.0.1", "10.0.0.1"));
}

BOOST_AUTO_TEST_CASE(https_reads_lower_case_then_upper_case_then_all_proxy) {
    BOOST_TEST(proxy_for({{"https_proxy", "http://lower:1"}, {"HTTPS_PROXY", "http://upper:2"}}, true) == "lower:1");
    BOOST_TEST(proxy_for({{"HTTPS_PROXY", "http://upper:2"}}, true) == "upper:2");
    BOOST_TEST(proxy_for({{"HTTPS_PROXY", "http://upper:2"}, {"all_proxy", "http://all:3"}}, true) == "upper:2");
    BOOST_TEST(proxy_for({{"all_proxy", "http://all:3"}, {"ALL_PROXY", "http://ALL:4"}}, true) == "all:3");
    BOOST_TEST(proxy_for({{"ALL_PROXY", "http://ALL:4"}}, true) == "ALL:4");
    BOOST_TEST(proxy_for({{"http_proxy", "http://plain:5"}}, true) == "direct");
    BOOST_TEST(proxy_for({}, true) == "direct");
}

BOOST_AUTO_TEST_CASE(http_reads_only_lower_case_http_proxy_then_all_proxy) {
    BOOST_TEST(proxy_for({{"http_proxy", "http://lower:1"}, {"all_proxy", "http://all:3"}}, false) == "lower:1");
    // Upper-case HTTP_PROXY may come from a request header (httpoxy).
    BOOST_TEST(proxy_for({{"HTTP_PROXY", "http://upper:2"}}, false) == "direct");
    BOOST_TEST(proxy_for({{"HTTP_PROXY", "http://upper:2"}, {"ALL_PROXY", "http://ALL:4"}}, false) == "ALL:4");
    BOOST_TEST(proxy_for({{"all_proxy", "http://all:3"}, {"ALL_PROXY", "http://ALL:4"}}, false) == "all:3");
    BOOST_TEST(proxy_for({{"https_proxy", "http://tls:6"}, {"HTTPS_PROXY", "http://tls:7"}}, false) == "direct");
}

BOOST_AUTO_TEST_CASE(empty_variables_count_as_unset) {
    BOOST_TEST(proxy_for({{"https_proxy", ""}, {"HTTPS_PROXY", "http://upper:2"}}, true) == "upper:2");
    BOOST_TEST(proxy_for({{"https_proxy", ""}, {"HTTPS_PROXY", ""}, {"all_proxy", "http://all:3"}}, true) == "all:3");
    BOOST_TEST(proxy_for({{"https_proxy", ""}}, true) == "direct");
    BOOST_TEST(proxy_for({{"http_proxy", ""}, {"ALL_PROXY", "http://ALL:4"}}, false) == "ALL:4");
}

BOOST_AUTO_TEST_CASE(no_proxy_bypasses_the_proxy) {
    const environment env = {{"https_proxy", "http://proxy:3128"}, {"NO_PROXY", "dgrid.ai, 10.0.0.0/8"}};
    BOOST_TEST(proxy_for(env, true, "api.dgrid.ai") == "direct");
    BOOST_TEST(proxy_for(env, true, "10.2.3.4") == "direct");
    BOOST_TEST(proxy_for(env, true, "api.openai.com") == "proxy:3128");
    BOOST_TEST(proxy_for(env, true, "notdgrid.ai") == "proxy:3128");

    // Lower case wins over upper case; an empty one counts as unset.
    BOOST_TEST(proxy_for({{"https_proxy", "http://proxy:3128"}, {"no_proxy", "other.org"}, {"NO_PROXY", "dgrid.ai"}},
                         true) == "proxy:3128");
    BOOST_TEST(proxy_for({{"https_proxy", "http://proxy:3128"}, {"no_proxy", ""}, {"NO_PROXY", "dgrid.ai"}}, true) ==
               "direct");
    BOOST_TEST(proxy_for({{"http_proxy", "http://proxy:3128"}, {"no_proxy", "*"}}, false) == "direct");
}

BOOST_AUTO_TEST_CASE(a_malformed_variable_is_an_error_that_names_it) {
    BOOST_TEST(environment_refusal({{"https_proxy", "socks5://proxy:1080"}}, true).starts_with("https_proxy: "));
    BOOST_TEST(environment_refusal({{"HTTPS_PROXY", "https://proxy"}}, true).starts_with("HTTPS_PROXY: "));
    BOOST_TEST(environment_refusal({{"http_proxy", "http://proxy:0"}}, false).starts_with("http_proxy: "));
    BOOST_TEST(environment_refusal({{"all_proxy", "http://proxy/x"}}, false).starts_with("all_proxy: "));
    BOOST_TEST(environment_refusal({{"ALL_PROXY", "http://pro xy"}}, true).starts_with("ALL_PROXY: "));
    // The variable that is read, not one it shadows, decides.
    BOOST_TEST(proxy_for({{"https_proxy", "http://good:1"}, {"HTTPS_PROXY", "bad://"}}, true) == "good:1");
    // A host that NO_PROXY bypasses reads no proxy variable.
    BOOST_TEST(proxy_for({{"https_proxy", "socks5://proxy:1080"}, {"NO_PROXY", "*"}}, true) == "direct");
}

BOOST_AUTO_TEST_CASE(the_option_overrides_the_environment) {
    const scoped_variable lower_no_proxy("no_proxy", std::nullopt);
    const scoped_variable upper_no_proxy("NO_PROXY", "*");
    const scoped_variable https_proxy("https_proxy", "http://from-env:1");
    std::optional<proxy_endpoint> proxy;
    std::string why;

    // Unset: the environment, whose NO_PROXY bypasses every host.
    BOOST_TEST(!resolve_proxy(std::nullopt, true, "api.dgrid.ai", proxy, why));
    BOOST_TEST(described(proxy) == "direct");

    // A URL: that proxy, NO_PROXY notwithstanding.
    BOOST_TEST(!resolve_proxy("http://explicit:2", true, "api.dgrid.ai", proxy, why));
    BOOST_TEST(described(proxy) == "explicit:2");

    const scoped_variable no_bypass("NO_PROXY", std::nullopt);
    BOOST_TEST(!resolve_proxy(std::nullopt, true, "api.dgrid.ai", proxy, why));
    BOOST_TEST(described(proxy) == "from-env:1");

    // Empty: no proxy, https_proxy notwithstanding.
    BOOST_TEST(!resolve_proxy("", true, "api.dgrid.ai", proxy, why));
    BOOST_TEST(described(proxy) == "direct");

    BOOST_TEST(resolve_proxy("https://explicit", true, "api.dgrid.ai", proxy, why) == invalid_base_url);
    BOOST_TEST(why.starts_with("client_options::proxy: "), why);
    BOOST_TEST(!proxy.has_value());
}

BOOST_AUTO_TEST_CASE(connect_requests) {
    BOOST_TEST(connect_request("api.dgrid.ai", "443", parse_ok("http://proxy:3128")) ==
               "CONNECT api.dgrid.ai:443 HTTP/1.1\r\nHost: api.dgrid.ai:443\r\n\r\n");
    BOOST_TEST(connect_request("api.dgrid.ai", "443", parse_ok("http://alice:s%40cret@proxy:3128")) ==
               "CONNECT api.dgrid.ai:443 HTTP/1.1\r\nHost: api.dgrid.ai:443\r\n"
               "Proxy-Authorization: Basic YWxpY2U6c0BjcmV0\r\n\r\n");
    BOOST_TEST(connect_request("::1", "8443", parse_ok("http://proxy:3128")) ==
               "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
    BOOST_TEST(connect_request("10.0.0.1", "8443", parse_ok("http://proxy:3128")) ==
               "CONNECT 10.0.0.1:8443 HTTP/1.1\r\nHost: 10.0.0.1:8443\r\n\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
