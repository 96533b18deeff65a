#ifndef DGRID_IMPL_BASE_URL_IPP
#define DGRID_IMPL_BASE_URL_IPP

#include <dgrid/detail/base_url.hpp>

#include <boost/asio/ip/address.hpp>

#include <charconv>

namespace dgrid::detail {
inline bool is_hostname_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

inline bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

DGRID_DECL error_code parse_base_url(std::string_view url, base_url& out, std::string& what) {
    auto fail = [&](const char* why) {
        what = why;
        return error_code(error::invalid_base_url);
    };
    out = {};
    if (url.starts_with("https://")) {
        out.tls = true;
        url.remove_prefix(8);
    } else if (url.starts_with("http://")) {
        out.tls = false;
        url.remove_prefix(7);
    } else {
        return fail("the scheme must be https:// or http://");
    }

    auto authority_end = url.find('/');
    std::string_view authority = url.substr(0, authority_end);
    std::string_view path = authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
    if (path.find_first_of("?#") != std::string_view::npos)
        return fail("a base URL cannot have a query or fragment");
    if (authority.find('@') != std::string_view::npos)
        return fail("credentials in the URL are not supported: use client_options::api_key");
    if (authority.empty())
        return fail("the URL has no host");

    // The host, then an optional ":port".
    std::string_view host;
    std::string_view rest;
    if (authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return fail("unterminated IPv6 literal");
        host = authority.substr(1, close - 1);
        rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return fail("unexpected characters after the IPv6 literal");
        out.host.assign(host);
        if (host.find(':') == std::string_view::npos || !is_ip_literal(out.host))
            return fail("invalid IPv6 literal");
    } else {
        auto colon = authority.find(':');
        host = authority.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
        if (host.empty())
            return fail("the URL has no host");
        for (char c : host)
            if (!is_hostname_char(c))
                return fail("the host has characters not allowed in a host name");
        out.host.assign(host);
    }

    const char* default_port = out.tls ? "443" : "80";
    if (rest.empty()) {
        out.port = default_port;
    } else {
        std::string_view port = rest.substr(1);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            return fail("the port must be a number from 1 to 65535");
        out.port = std::to_string(value);
    }

    out.host_is_ip = is_ip_literal(out.host);
    out.host_header = authority.front() == '[' ? "[" + out.host + "]" : out.host;
    if (out.port != default_port)
        out.host_header += ":" + out.port;

    while (path.ends_with('/'))
        path.remove_suffix(1);
    for (char c : path)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            return fail("the path has spaces or control characters");
    out.path.assign(path);
    return {};
}

DGRID_DECL bool is_valid_header_name(std::string_view name) noexcept {
    if (name.empty())
        return false;
    constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    for (char c : name) {
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && extra.find(c) == std::string_view::npos)
            return false;
    }
    return true;
}

DGRID_DECL bool is_valid_header_value(std::string_view value) noexcept {
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            return false;
    }
    return true;
}

} // namespace dgrid::detail

#endif
