#ifndef DGRID_DETAIL_HTTP_PROXY_CONFIG_HPP
#define DGRID_DETAIL_HTTP_PROXY_CONFIG_HPP

// Internal: which HTTP proxy leads to the gateway, if any (client_options::
// proxy, or the environment as curl reads it), and the CONNECT request that
// opens a tunnel through it. Sans-io: the connection code does the talking.

#include <dgrid/detail/config.hpp>
#include <dgrid/error.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dgrid::detail {

// An HTTP proxy to connect to instead of the gateway.
struct proxy_endpoint {
    std::string host;             // without brackets for IPv6 literals
    std::string port;             // always set: explicit, or 1080
    bool host_is_ip = false;      // an IP literal: nothing to resolve
    std::string authorization;    // the Proxy-Authorization value (`Basic ...`); empty without credentials
    std::string url_for_messages; // `http://[user@]host:port`: the password stays out of messages
};

// Accepts `[http://][user[:password]@]host[:port][/]`: the scheme in any case,
// and none means http:// (as curl); user and password percent-encoded (`%40`
// for `@`), sent with Basic authentication; a port in 1-65535, or 1080 when
// none is given (curl's default proxy port); a host of letters, digits, '-',
// '.', or a bracketed IPv6 literal. TLS to the proxy (`https://`) and SOCKS
// are refused, as are spaces and control characters anywhere.
// `why` receives why a URL is refused (the error is invalid_base_url).
DGRID_DECL error_code parse_proxy_url(std::string_view url, proxy_endpoint& out, std::string& why);

// Whether a NO_PROXY list sends requests to `host` (a host name, or an IP
// literal, IPv6 with or without brackets) around the proxy. Its entries are
// separated by commas or blanks (as curl's) and compared without regard to case:
// - `*` matches every host;
// - a domain (`example.com`, `.example.com` or `*.example.com`) matches
//   itself and its subdomains (`api.example.com`), not `badexample.com`;
// - an IP address matches the same address, and a CIDR range (`10.0.0.0/8`,
//   `fd00::/8`, `[fd00::]/8`) the addresses in it, as curl 7.86+ and httpx.
//   Host names are not resolved: only a host written as an IP literal
//   matches an IP entry, and only a host name a domain entry;
// - a `:port` after an entry is ignored: the entry applies to every port.
DGRID_DECL bool bypasses_proxy(std::string_view no_proxy, std::string_view host);

// Reads an environment variable: null when it is unset. std::getenv, or a
// map in tests.
using environment_lookup = std::function<const char*(const char*)>;

// The proxy the environment sets for requests to `host` (as base_url::host),
// read as curl reads it, lower case first:
// - https:// gateways: `https_proxy`, `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY`;
// - http:// gateways: `http_proxy`, `all_proxy`, `ALL_PROXY`; not `HTTP_PROXY`,
//   which CGI servers fill from a request's `Proxy:` header (httpoxy);
// - `no_proxy`, else `NO_PROXY`, lists the hosts reached directly
//   (bypasses_proxy); a bypassed host reads no proxy variable.
// A variable set to the empty string counts as unset. `out` is empty when no
// proxy applies. A malformed proxy URL is an error, with `why` naming the
// variable, not a reason to connect directly behind the user's back.
DGRID_DECL error_code proxy_from_environment(bool https, std::string_view host, const environment_lookup& lookup,
                                             std::optional<proxy_endpoint>& out, std::string& why);

// The proxy for requests to `host` by client_options::proxy: unset, the
// process's environment decides (proxy_from_environment); empty, none; else
// that URL, for every host, whatever the environment says.
DGRID_DECL error_code resolve_proxy(const std::optional<std::string>& option, bool https, std::string_view host,
                                    std::optional<proxy_endpoint>& out, std::string& why);

// The request that asks `proxy` for a tunnel to `host` (as base_url::host:
// IPv6 literals without brackets) and `port`, up to its blank line.
DGRID_DECL std::string connect_request(std::string_view host, std::string_view port, const proxy_endpoint& proxy);

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/http/proxy_config.ipp>
#endif

#endif
