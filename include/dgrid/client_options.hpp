#ifndef DGRID_CLIENT_OPTIONS_HPP
#define DGRID_CLIENT_OPTIONS_HPP

#include <dgrid/error.hpp>
#include <dgrid/http_header.hpp>
#include <dgrid/pool_params.hpp>
#include <dgrid/retry_policy.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace dgrid {

class observer;

/// How a resolver of the caller's own hands over a host's addresses.
using resolve_handler =
    boost::asio::any_completion_handler<void(error_code, std::vector<boost::asio::ip::tcp::endpoint>)>;

/// A resolver of the caller's own (`client_options::resolver`): called with
/// the host and port of the URL to connect to, it completes `handler` once,
/// from any thread, with the addresses to try in order or an error.
using resolver_function =
    std::function<void(const std::string& host, const std::string& port, resolve_handler handler)>;

/// Deadlines of a request's phases. Each expiry fails with its own error:
/// `headers_timeout`, `stream_idle_timeout`, `total_timeout`. Zero means none.
struct timeout_options {
    /// From sending a request to its response headers. For a request that is
    /// not streamed the headers come when the whole answer is ready, so this
    /// is long by default.
    std::chrono::milliseconds headers = std::chrono::minutes(10);

    /// Between two data events of a stream, counted while the stream waits
    /// for the server (from the first read after a data event or the
    /// headers), so that the time a caller spends on a chunk does not count.
    /// Keep-alive comments (`: PING`) do not count either: a gateway that only
    /// says it is alive still times out.
    std::chrono::milliseconds stream_idle = std::chrono::minutes(5);

    /// A whole `async_chat` or `async_list_models`: every attempt and the
    /// waits between them.
    std::chrono::milliseconds total = std::chrono::minutes(10);

    /// A whole stream, from the request to its last event. None by default: a
    /// stream lasts as long as its answer, and `stream_idle` catches a stall.
    std::chrono::milliseconds stream_total = std::chrono::milliseconds(0);
};

/// How a `dgrid::client` reaches its gateway. Every member has a usable default.
struct client_options {
    /// `https://host[:port][/path]`; `http://` is allowed for local gateways.
    std::string base_url = "https://api.dgrid.ai/v1";

    /// The bearer token. When unset, the environment variable `DGRID_API_KEY`
    /// is read when the client is built.
    std::optional<std::string> api_key;

    /// Sent with every request, e.g. DGrid's `HTTP-Referer` and `X-Title`.
    std::vector<http_header> default_headers;

    /// Response headers to keep in `response_info::headers`, by name (any
    /// case); none by default. The status, `x-request-id` and the
    /// `x-ratelimit-*` headers are always read into `response_info`.
    std::vector<std::string> keep_response_headers;

    /// The HTTP proxy to reach the gateway through:
    /// `[http://][user:password@]host[:port]`, port 1080 when none is given
    /// (curl's default). An `https://` gateway is reached through a CONNECT
    /// tunnel, with TLS from end to end; an `http://` one by sending the
    /// requests to the proxy. `user:password`, percent-encoded (`%40` for
    /// `@`), is sent with Basic authentication. Only http:// proxies: TLS to
    /// the proxy itself (`https://`) and SOCKS are not supported.
    ///
    /// - Unset (the default): the environment decides, read as curl reads
    ///   it: `https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY` for
    ///   an https:// gateway; `http_proxy` (never `HTTP_PROXY`, which CGI
    ///   servers fill from a request header), then `all_proxy`, `ALL_PROXY`
    ///   for an http:// one; `no_proxy` (else `NO_PROXY`) lists the hosts
    ///   reached directly: domains with their subdomains, IP addresses, CIDR
    ///   ranges, or `*` for all. Lower case comes first and empty variables
    ///   count as unset. A malformed proxy variable fails with
    ///   `invalid_base_url` rather than being ignored.
    /// - A URL: that proxy for every request, whatever the environment says.
    /// - Empty (`""`): no proxy, whatever the environment says.
    std::optional<std::string> proxy;

    /// PEM file of the certificate authorities to trust; empty means the
    /// system store. Ignored when `ssl_context` is given.
    std::string ca_file;

    /// A TLS context of the caller's own (client certificates, pinning, ...).
    /// The client still checks the certificate and the host name unless
    /// `insecure_skip_tls_verification` is set.
    std::shared_ptr<boost::asio::ssl::context> ssl_context;

    /// Accept any certificate for any host: for a test gateway only, never in
    /// production, since anyone on the path can then read the API key.
    bool insecure_skip_tls_verification = false;

    /// New pool connections resume a TLS session of an earlier one (an
    /// abbreviated handshake). Each TLS 1.3 ticket is used once; a TLS 1.2
    /// session serves every new connection until the server gives a newer
    /// one. Applies to the client's own TLS context; one passed in
    /// `ssl_context` is not changed, so it resumes only if the caller set it
    /// up to.
    bool tls_session_resumption = true;

    /// Whether the client may be used from several threads that run its
    /// executor's context. True: each connection and each operation runs on
    /// a strand of its own. False: the client makes no strands, which saves
    /// about 12 % of the CPU of a call and 4 % of a stream's; the context
    /// must then run on one thread, or the client's executor be a strand.
    /// `cancel()` and `stats()` may be called from any thread either way.
    bool thread_safe = true;

    /// Resolves host names instead of the system (getaddrinfo through
    /// Asio's resolver): to pin a host to an address, as curl's `--resolve`,
    /// or to use a DNS cache of one's own. Resolution counts against
    /// `pool.connect_timeout` and ends when the request is cancelled; a
    /// handler called after that is ignored.
    resolver_function resolver;

    /// The connection pool.
    pool_params pool;

    /// Deadlines of each phase (the connect deadline is `pool.connect_timeout`).
    timeout_options timeouts;

    /// Which failures are retried, how often, and how long to wait between.
    retry_policy retry;

    /// Largest response body accepted (images come back base64 encoded); a
    /// stream's body is bounded event by event instead (`max_event_size`).
    std::size_t max_response_size = 64u << 20;

    /// Largest response header block (status line and all header fields);
    /// larger ones fail with `headers_too_large`.
    std::uint32_t max_header_size = 64u << 10;

    /// Told of every call's attempts, connections, response heads, retries,
    /// first token (and deltas) and end, for metrics and logs (`observer`).
    /// Unset: `DGRID_LOG=info|debug` in the environment installs a logger to
    /// stderr (`make_logger`); otherwise none, at no cost.
    std::shared_ptr<dgrid::observer> observer;

    /// Largest server-sent event of a stream (one event carries a whole
    /// generated image); larger ones fail with `event_too_large`.
    std::size_t max_event_size = 32u << 20;
};

} // namespace dgrid

#endif
