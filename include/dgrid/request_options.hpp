#ifndef DGRID_REQUEST_OPTIONS_HPP
#define DGRID_REQUEST_OPTIONS_HPP

#include <dgrid/http_header.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dgrid {

/// Options of one call (`async_chat`, `async_chat_stream`,
/// `async_list_models`), over the client's for that call only. An unset
/// member leaves the client's option as it is; a timeout of zero means none,
/// as in `timeout_options`.
///
///     dgrid::request_options quick;
///     quick.total_timeout = std::chrono::seconds(20);
///     quick.max_retries = 0;
///     auto answer = co_await client.async_chat(request, quick);
struct request_options {
    /// The whole call: `timeouts.total` for `async_chat` and
    /// `async_list_models`, `timeouts.stream_total` for a stream.
    std::optional<std::chrono::milliseconds> total_timeout;

    /// `timeouts.headers`: from sending a request to its response headers.
    std::optional<std::chrono::milliseconds> headers_timeout;

    /// `timeouts.stream_idle`: between two data events of a stream.
    std::optional<std::chrono::milliseconds> stream_idle_timeout;

    /// `retry.max_retries`; 0 sends the request once. The rest of the
    /// client's `retry_policy` (what is retried, the backoff) still applies.
    std::optional<unsigned> max_retries;

    /// Sent after the client's `default_headers`, replacing one of the same
    /// name. Checked as those are: a name or value that cannot be sent, or
    /// a header the client sets itself (`Host`, `Authorization`, ...), fails
    /// the call with `error::invalid_header_value`.
    std::vector<http_header> extra_headers;

    /// Sent as `Idempotency-Key`, the same on every retry of the call, so that
    /// a gateway that knows the header runs the request at most once.
    std::optional<std::string> idempotency_key;
};

} // namespace dgrid

#endif
