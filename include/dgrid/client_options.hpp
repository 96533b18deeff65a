#ifndef DGRID_CLIENT_OPTIONS_HPP
#define DGRID_CLIENT_OPTIONS_HPP

#include <dgrid/http_header.hpp>
#include <dgrid/pool_params.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace dgrid {

/// How a `dgrid::client` reaches its gateway. Every member has a usable default.
struct client_options {
    /// `https://host[:port][/path]`; `http://` is allowed for local gateways.
    std::string base_url = "https://api.dgrid.ai/v1";

    /// The bearer token. When unset, the environment variable `DGRID_API_KEY`
    /// is read when the client is built.
    std::optional<std::string> api_key;

    /// Sent with every request, e.g. DGrid's `HTTP-Referer` and `X-Title`.
    std::vector<http_header> default_headers;

    /// PEM file of the certificate authorities to trust; empty means the
    /// system store. Ignored when `ssl_context` is given.
    std::string ca_file;

    /// A TLS context of the caller's own (client certificates, pinning, ...).
    /// The client still checks the host name against the certificate.
    std::shared_ptr<boost::asio::ssl::context> ssl_context;

    /// The connection pool.
    pool_params pool;

    /// Budget for sending a request and reading the whole response.
    std::chrono::milliseconds request_timeout = std::chrono::minutes(10);

    /// Largest response body accepted (images come back base64 encoded).
    std::size_t max_response_size = 64u << 20;

    /// Largest server-sent event of a stream (one event carries a whole
    /// generated image); larger ones fail with `event_too_large`.
    std::size_t max_event_size = 32u << 20;
};

} // namespace dgrid

#endif
