// Base URL parsing and header checks: sans-io, before any connection exists.
#include <dgrid/detail/base_url.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using dgrid::detail::base_url;
using dgrid::detail::is_valid_header_name;
using dgrid::detail::is_valid_header_value;
using dgrid::detail::parse_base_url;

namespace {

base_url parse_ok(const std::string& text) {
    base_url url;
    std::string what;
    auto ec = parse_base_url(text, url, what);
    BOOST_TEST(!ec, text << ": " << what);
    return url;
}

std::string refusal(const std::string& text) {
    base_url url;
    std::string what;
    auto ec = parse_base_url(text, url, what);
    BOOST_TEST(ec == dgrid::error_code(dgrid::error::invalid_base_url), text);
    return what;
}

} // namespace

BOOST_AUTO_TEST_SUITE(base_url_parsing)

BOOST_AUTO_TEST_CASE(the_default_gateway) {
    auto url = parse_ok("https://api.dgrid.ai/v1");
    BOOST_TEST(url.tls);
    BOOST_TEST(url.host == "api.dgrid.ai");
    BOOST_TEST(url.port == "443");
    BOOST_TEST(url.host_header == "api.dgrid.ai");
    BOOST_TEST(url.path == "/v1");
    BOOST_TEST(!url.host_is_ip);
}

BOOST_AUTO_TEST_CASE(ports_paths_and_trailing_slashes) {
    auto url = parse_ok("http://127.0.0.1:8080/proxy/v1/");
    BOOST_TEST(!url.tls);
    BOOST_TEST(url.host == "127.0.0.1");
    BOOST_TEST(url.port == "8080");
    BOOST_TEST(url.host_header == "127.0.0.1:8080");
    BOOST_TEST(url.path == "/proxy/v1");
    BOOST_TEST(url.host_is_ip);

    url = parse_ok("https://localhost");
    BOOST_TEST(url.path == "");
    BOOST_TEST(url.port == "443");

    // The default port is left out of the Host header.
    url = parse_ok("https://example.com:443/v1");
    BOOST_TEST(url.host_header == "example.com");
    url = parse_ok("http://example.com:80");
    BOOST_TEST(url.host_header == "example.com");
    url = parse_ok("http://example.com:443");
    BOOST_TEST(url.host_header == "example.com:443");
}

BOOST_AUTO_TEST_CASE(ipv6_literals) {
    auto url = parse_ok("https://[::1]:8443/v1");
    BOOST_TEST(url.host == "::1");
    BOOST_TEST(url.port == "8443");
    BOOST_TEST(url.host_header == "[::1]:8443");
    BOOST_TEST(url.host_is_ip);
}

BOOST_AUTO_TEST_CASE(refusals_say_why) {
    BOOST_TEST(refusal("api.dgrid.ai/v1").find("scheme") != std::string::npos);
    BOOST_TEST(refusal("ftp://host").find("scheme") != std::string::npos);
    BOOST_TEST(refusal("HTTPS://host").find("scheme") != std::string::npos);
    BOOST_TEST(refusal("https://").find("host") != std::string::npos);
    BOOST_TEST(refusal("https:///v1").find("host") != std::string::npos);
    BOOST_TEST(refusal("https://:443").find("host") != std::string::npos);
    BOOST_TEST(refusal("https://host:").find("port") != std::string::npos);
    BOOST_TEST(refusal("https://host:0").find("port") != std::string::npos);
    BOOST_TEST(refusal("https://host:65536").find("port") != std::string::npos);
    BOOST_TEST(refusal("https://host:-1").find("port") != std::string::npos);
    BOOST_TEST(refusal("https://host:80x").find("port") != std::string::npos);
    BOOST_TEST(refusal("https://user:pw@host").find("credentials") != std::string::npos);
    BOOST_TEST(refusal("https://host/v1?key=1").find("query") != std::string::npos);
    BOOST_TEST(refusal("https://host/v1#x").find("fragment") != std::string::npos);
    BOOST_TEST(refusal("https://[::1").find("IPv6") != std::string::npos);
    BOOST_TEST(refusal("https://[nope]:80").find("IPv6") != std::string::npos);
    BOOST_TEST(refusal("https://[::1]x").find("IPv6") != std::string::npos);
    BOOST_TEST(refusal("https://ho st").find("host") != std::string::npos);
    BOOST_TEST(refusal("https://host\r\nX: y").find("host") != std::string::npos);
    BOOST_TEST(refusal("https://host/v 1").find("path") != std::string::npos);
    BOOST_TEST(refusal("https://host/v1\n").find("path") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(header_checks)

BOOST_AUTO_TEST_CASE(names_are_tokens) {
    BOOST_TEST(is_valid_header_name("X-Title"));
    BOOST_TEST(is_valid_header_name("HTTP-Referer"));
    BOOST_TEST(!is_valid_header_name(""));
    BOOST_TEST(!is_valid_header_name("Bad Name"));
    BOOST_TEST(!is_valid_header_name("Bad:Name"));
    BOOST_TEST(!is_valid_header_name("X\r\nY"));
}

BOOST_AUTO_TEST_CASE(values_hold_no_control_characters) {
    BOOST_TEST(is_valid_header_value("https://example.com/app"));
    BOOST_TEST(is_valid_header_value("tab\tis fine"));
    BOOST_TEST(is_valid_header_value("caf\xc3\xa9"));
    BOOST_TEST(!is_valid_header_value("a\rb"));
    BOOST_TEST(!is_valid_header_value("a\nb"));
    BOOST_TEST(!is_valid_header_value(std::string("a\0b", 3)));
    BOOST_TEST(!is_valid_header_value("a\x7f"));
}

BOOST_AUTO_TEST_SUITE_END()
