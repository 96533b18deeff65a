#ifndef DGRID_DETAIL_HTTP_PROXY_CONFIG_IPP
#define DGRID_DETAIL_HTTP_PROXY_CONFIG_IPP

#include <dgrid/base64.hpp>
#include <dgrid/detail/http/proxy_config.hpp>
#include <dgrid/detail/json/hex_digit.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <initializer_list>
#include <utility>

namespace dgrid::detail {

namespace proxy_config {

// curl's, for a proxy URL that names no port.
inline constexpr std::string_view default_proxy_port = "1080";

inline bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [&](char x, char y) { return lower(x) == lower(y); });
}

inline bool is_host_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// `%XX` escapes decoded into `out`; false for a `%` not followed by two hex digits.
inline bool percent_decode(std::string_view text, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size())
            return false;
        const int high = hex_digit_value(text[i + 1]);
        const int low = hex_digit_value(text[i + 2]);
        if (high < 0 || low < 0)
            return false;
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return true;
}

// 1-65535, written back without leading zeros.
inline bool parse_port_number(std::string_view text, std::string& out) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
        return false;
    out = std::to_string(value);
    return true;
}

// An IP address in network byte order.
struct ip_address {
    std::array<unsigned char, 16> bytes{};
    unsigned bits = 0; // 32 for IPv4, 128 for IPv6, 0 when the text was no address
};

inline ip_address parse_ip_address(std::string_view text) {
    ip_address ip;
    // inet_pton wants a C string; the character check also keeps out zone
    // ids (`%eth0`) and the NUL that would end the copy early.
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
        text.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
        return ip;
    std::array<char, INET6_ADDRSTRLEN> c_string{};
    text.copy(c_string.data(), text.size());
    if (inet_pton(AF_INET, c_string.data(), ip.bytes.data()) == 1)
        ip.bits = 32;
    else if (inet_pton(AF_INET6, c_string.data(), ip.bytes.data()) == 1)
        ip.bits = 128;
    return ip;
}

// Whether the first `prefix` bits of `host` are those of `network`, both of
// one family.
inline bool in_network(const ip_address& host, const ip_address& network, unsigned prefix) noexcept {
    if (host.bits != network.bits || prefix > network.bits)
        return false;
    const unsigned whole_bytes = prefix / 8;
    const unsigned rest_bits = prefix % 8;
    if (!std::equal(host.bytes.begin(), host.bytes.begin() + whole_bytes, network.bytes.begin()))
        return false;
    const unsigned mask = (0xFFu << (8 - rest_bits)) & 0xFFu;
    return rest_bits == 0 || ((host.bytes[whole_bytes] ^ network.bytes[whole_bytes]) & mask) == 0;
}

// A trailing dot makes a name fully qualified, not another name.
inline std::string_view without_trailing_dot(std::string_view name) noexcept {
    if (name.ends_with('.'))
        name.remove_suffix(1);
    return name;
}

// Whether `host` is `domain` or one of its subdomains.
inline bool domain_covers(std::string_view domain, std::string_view host) noexcept {
    if (domain.starts_with("*."))
        domain.remove_prefix(1);
    if (domain.starts_with('.'))
        domain.remove_prefix(1);
    domain = without_trailing_dot(domain);
    host = without_trailing_dot(host);
    if (domain.empty() || domain.size() > host.size())
        return false;
    const std::size_t before = host.size() - domain.size();
    return equals_ignoring_case(host.substr(before), domain) && (before == 0 || host[before - 1] == '.');
}

// Whether one NO_PROXY entry covers `host`, whose address is `ip` when it is
// an IP literal.
inline bool entry_covers(std::string_view entry, std::string_view host, const ip_address& ip) {
    if (entry == "*")
        return true;
    std::string_view name = entry;
    std::optional<std::string_view> prefix; // the length of a CIDR range, after its '/'
    if (entry.starts_with('[')) {
        // `[fd00::1]`, `[fd00::]/8` or `[fd00::/8]`, each maybe with a `:port`.
        const std::size_t close = entry.find(']');
        if (close == std::string_view::npos)
            return false;
        name = entry.substr(1, close - 1);
        std::string_view after = entry.substr(close + 1);
        after = after.substr(0, after.find(':'));
        if (after.starts_with('/'))
            prefix = after.substr(1);
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
        // A name or IPv4 address with a port: unbracketed IPv6 has two colons at least.
        name = entry.substr(0, entry.find(':'));
    }
    if (const std::size_t slash = name.find('/'); slash != std::string_view::npos) {
        prefix = name.substr(slash + 1);
        name = name.substr(0, slash);
    }

    const ip_address network = parse_ip_address(name);
    if (network.bits == 0)
        return !prefix && ip.bits == 0 && domain_covers(name, host);
    unsigned bits = network.bits;
    if (prefix) {
        const auto [end, ec] = std::from_chars(prefix->data(), prefix->data() + prefix->size(), bits);
        if (prefix->empty() || ec != std::errc() || end != prefix->data() + prefix->size())
            return false;
    }
    return in_network(ip, network, bits);
}

// An environment variable that is set to something.
struct set_variable {
    const char* name = nullptr; // null when none of those asked for is
    std::string_view value;
};

// The first of `names` set to something other than the empty string.
inline set_variable first_set_variable(const environment_lookup& lookup, std::initializer_list<const char*> names) {
    for (const char* name : names) {
        const char* value = lookup(name);
        if (value != nullptr && *value != '\0')
            return {name, value};
    }
    return {};
}

} // namespace proxy_config

DGRID_DECL error_code parse_proxy_url(std::string_view url, proxy_endpoint& out, std::string& why) {
    using namespace proxy_config;
    auto fail = [&](std::string reason) {
        why = std::move(reason);
        return error_code(error::invalid_base_url);
    };
    out = {};
    for (char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            return fail("the proxy URL has spaces or control characters");

    if (const std::size_t scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
        const std::string_view scheme = url.substr(0, scheme_end);
        if (equals_ignoring_case(scheme, "https"))
            return fail("TLS to the proxy (https://) is not supported: give the proxy as http:// (an https:// "
                        "gateway is still reached over TLS, through a tunnel)");
        if (!equals_ignoring_case(scheme, "http"))
            return fail("the proxy URL must be http://, not " + std::string(scheme) + "://");
        url.remove_prefix(scheme_end + 3);
    }

    const std::size_t authority_end = url.find('/');
    std::string_view authority = url.substr(0, authority_end);
    if (authority_end != std::string_view::npos && authority_end + 1 != url.size())
        return fail("a proxy URL has no path, query or fragment");

    // The last '@' ends the user info: a password with a bare '@' still parses.
    std::string_view user_in_url;
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        const std::size_t colon = userinfo.find(':');
        user_in_url = userinfo.substr(0, colon);
        std::string user;
        std::string password;
        if (!percent_decode(user_in_url, user) ||
            (colon != std::string_view::npos && !percent_decode(userinfo.substr(colon + 1), password)))
            return fail("the proxy's user name or password has a '%' that is no escape (write '%' as %25)");
        if (!userinfo.empty())
            out.authorization = "Basic " + base64_encode(user + ":" + password);
    }

    if (authority.empty())
        return fail("the proxy URL has no host");
    const bool bracketed = authority.front() == '[';
    std::optional<std::string_view> port; // after a colon, maybe empty
    if (bracketed) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos)
            return fail("unterminated IPv6 literal in the proxy URL");
        out.host.assign(authority.substr(1, close - 1));
        const std::string_view rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return fail("unexpected characters after the proxy's IPv6 literal");
        if (!rest.empty())
            port = rest.substr(1);
        if (parse_ip_address(out.host).bits != 128)
            return fail("invalid IPv6 literal in the proxy URL");
    } else {
        const std::size_t colon = authority.find(':');
        const std::string_view host = authority.substr(0, colon);
        if (host.empty())
            return fail("the proxy URL has no host");
        if (!std::all_of(host.begin(), host.end(), is_host_name_char))
            return fail("the proxy's host has characters not allowed in a host name");
        out.host.assign(host);
        if (colon != std::string_view::npos)
            port = authority.substr(colon + 1);
    }
    if (!port)
        out.port = default_proxy_port;
    else if (!parse_port_number(*port, out.port))
        return fail("the proxy's port must be a number from 1 to 65535");
    out.host_is_ip = parse_ip_address(out.host).bits != 0;

    out.url_for_messages = "http://";
    if (!user_in_url.empty())
        out.url_for_messages.append(user_in_url).append("@");
    out.url_for_messages.append(bracketed ? "[" + out.host + "]" : out.host).append(":").append(out.port);
    return {};
}

DGRID_DECL bool bypasses_proxy(std::string_view no_proxy, std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    const proxy_config::ip_address ip = proxy_config::parse_ip_address(host);
    constexpr std::string_view separators = ", \t";
    for (;;) {
        const std::size_t start = no_proxy.find_first_not_of(separators);
        if (start == std::string_view::npos)
            return false;
        no_proxy.remove_prefix(start);
        const std::string_view entry = no_proxy.substr(0, no_proxy.find_first_of(separators));
        if (proxy_config::entry_covers(entry, host, ip))
            return true;
        no_proxy.remove_prefix(entry.size());
    }
}

DGRID_DECL error_code proxy_from_environment(bool https, std::string_view host, const environment_lookup& lookup,
                                             std::optional<proxy_endpoint>& out, std::string& why) {
    using proxy_config::first_set_variable;
    out.reset();
    if (bypasses_proxy(first_set_variable(lookup, {"no_proxy", "NO_PROXY"}).value, host))
        return {};
    // No HTTP_PROXY: a CGI server sets it from a request's `Proxy:` header,
    // which would let any client of a web application that calls us pick our
    // proxy (httpoxy, CVE-2016-5385). curl skips it for that reason.
    const proxy_config::set_variable variable =
        https ? first_set_variable(lookup, {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
              : first_set_variable(lookup, {"http_proxy", "all_proxy", "ALL_PROXY"});
    if (variable.name == nullptr)
        return {};
    proxy_endpoint endpoint;
    if (const error_code ec = parse_proxy_url(variable.value, endpoint, why)) {
        why = std::string(variable.name) + ": " + why;
        return ec;
    }
    out = std::move(endpoint);
    return {};
}

DGRID_DECL error_code resolve_proxy(const std::optional<std::string>& option, bool https, std::string_view host,
                                    std::optional<proxy_endpoint>& out, std::string& why) {
    out.reset();
    if (!option) {
        const auto process_environment = [](const char* name) -> const char* { return std::getenv(name); };
        return proxy_from_environment(https, host, process_environment, out, why);
    }
    if (option->empty())
        return {};
    proxy_endpoint endpoint;
    if (const error_code ec = parse_proxy_url(*option, endpoint, why)) {
        why = "client_options::proxy: " + why;
        return ec;
    }
    out = std::move(endpoint);
    return {};
}

DGRID_DECL std::string connect_request(std::string_view host, std::string_view port, const proxy_endpoint& proxy) {
    std::string authority;
    if (host.find(':') != std::string_view::npos)
        authority.append("[").append(host).append("]");
    else
        authority.append(host);
    authority.append(":").append(port);

    std::string text = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    if (!proxy.authorization.empty())
        text.append("Proxy-Authorization: ").append(proxy.authorization).append("\r\n");
    text.append("\r\n");
    return text;
}

} // namespace dgrid::detail

#endif
