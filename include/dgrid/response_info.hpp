#ifndef DGRID_RESPONSE_INFO_HPP
#define DGRID_RESPONSE_INFO_HPP

#include <dgrid/http_header.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dgrid {

/// The `x-ratelimit-*` headers of a response, as OpenAI and gateways that
/// follow it send them; a header that is absent or unreadable stays empty.
struct rate_limits {
    /// Equal when every member is.
    bool operator==(const rate_limits&) const = default;

    std::optional<std::int64_t> limit_requests;     ///< `x-ratelimit-limit-requests`
    std::optional<std::int64_t> remaining_requests; ///< `x-ratelimit-remaining-requests`
    /// `x-ratelimit-reset-requests`: until the request limit is whole again
    /// (`1s`, `6m0s`, `20ms`, `1h2m3.5s`; a bare number counts seconds).
    std::optional<std::chrono::milliseconds> reset_requests;
    std::optional<std::int64_t> limit_tokens;     ///< `x-ratelimit-limit-tokens`
    std::optional<std::int64_t> remaining_tokens; ///< `x-ratelimit-remaining-tokens`
    /// `x-ratelimit-reset-tokens`, read as `reset_requests`.
    std::optional<std::chrono::milliseconds> reset_tokens;
};

/// What the HTTP response of a successful call said, besides its body, and
/// how long it took: `chat_completion::response` for `async_chat`,
/// `chat_stream::response()` for a stream. Durations count from the call.
struct response_info {
    /// Equal when every member is.
    bool operator==(const response_info&) const = default;

    /// The HTTP status of the response that answered.
    unsigned http_status = 0;

    /// Its `x-request-id` header, empty when absent.
    std::string request_id;

    /// Requests sent for the call, the answered one included.
    unsigned attempts = 0;

    /// Until the head of the response that answered (so retries included).
    std::chrono::steady_clock::duration time_to_headers{};

    /// A stream's: until the first chunk that carried part of the answer
    /// (content, reasoning or a tool call); empty before it, and for a call
    /// that is not streamed, whose answer comes whole.
    std::optional<std::chrono::steady_clock::duration> time_to_first_token;

    /// Until the answer was read whole (a stream's end); empty while a
    /// stream is still being read.
    std::optional<std::chrono::steady_clock::duration> total;

    /// The response's rate-limit headers.
    dgrid::rate_limits rate_limits;

    /// The headers named in `client_options::keep_response_headers` that the
    /// response had, in the order received (names as the server wrote them).
    std::vector<http_header> headers;
};

} // namespace dgrid

#endif
