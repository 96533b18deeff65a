#ifndef DGRID_DETAIL_BASE_URL_HPP
#define DGRID_DETAIL_BASE_URL_HPP

#include <dgrid/detail/config.hpp>
#include <dgrid/error.hpp>

#include <string>
#include <string_view>

namespace dgrid::detail {

// The parts of a base URL the client needs: where to connect and what to
// prefix request targets with.
struct base_url {
    bool tls = true;
    std::string host;        // without brackets for IPv6 literals
    std::string port;        // always set: explicit, or 443 / 80
    std::string host_header; // the Host header: host, with the port when not the default
    std::string path;        // "/v1" (no trailing slash), may be empty
    bool host_is_ip = false; // an IP literal: no SNI, and the certificate must name the IP
};

// Accepts `http(s)://host[:port][/path]`: no user info, query or fragment,
// a port in 1-65535, a host of letters, digits, '-', '.', or a bracketed IPv6 literal.
// `what` receives why a URL is refused.
DGRID_DECL error_code parse_base_url(std::string_view url, base_url& out, std::string& what);

// RFC 9110 token characters for names; values may not hold CR, LF or NUL
// (header injection), nor other control characters except tab.
DGRID_DECL bool is_valid_header_name(std::string_view name) noexcept;
DGRID_DECL bool is_valid_header_value(std::string_view value) noexcept;

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/base_url.ipp>
#endif

#endif
