#ifndef DGRID_EMULATOR_HANDLER_HPP
#define DGRID_EMULATOR_HANDLER_HPP

#include "emulator/api_error.hpp"
#include "emulator/faults.hpp"
#include "emulator/rate_limits.hpp"
#include "emulator/stream_events.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dgrid::emulator {

/// A response before it meets the wire: the server adds `Content-Length` (or
/// chunked transfer encoding for a stream), `Connection` and `x-request-id`.
struct http_reply {
    unsigned status = 200;                                    ///< HTTP status
    std::string content_type = "application/json";            ///< `Content-Type`
    std::string body;                                         ///< the whole body
    std::vector<std::pair<std::string, std::string>> headers; ///< extra headers (`Retry-After`, `Allow`)
};

/// What the handler needs of a request, independent of the HTTP library.
struct request_view {
    std::string_view method;        ///< `GET`, `POST`, ...
    std::string_view target;        ///< `/v1/models?x=y`
    std::string_view authorization; ///< the `Authorization` header value
    std::string_view faults;        ///< the `X-Emulator-Fault` header value
    std::string_view body;          ///< the request body
    std::string_view token_delay;   ///< the `X-Emulator-Token-Delay-Ms` header value, empty when absent
};

/// The request header that overrides `server_options::token_delay` for one
/// streamed response: milliseconds, 0-60000.
inline constexpr std::string_view token_delay_header = "X-Emulator-Token-Delay-Ms";

/// The largest `X-Emulator-Token-Delay-Ms`.
inline constexpr std::chrono::milliseconds max_token_delay{60000};

/// The handler's decision: the reply, and the faults the server still has to
/// act out on the connection (stall, resets, byte-wise writes, closing).
struct exchange {
    http_reply reply;  ///< what to send (for a stream: the headers), unless a reset fault cuts it short
    fault_plan faults; ///< the request's faults; empty once `fail-times` ran out
    /// Set for a `"stream": true` completion: the body, as chunks and pauses.
    std::optional<stream_script> stream;
};

/// Answers one request, without I/O: parses its faults (an invalid header is a
/// 400 `invalid_fault`), counts them against `budget`, checks the bearer token
/// against `api_key` for every `/v1` path, and serves `GET /v1/models` and
/// `POST /v1/chat/completions`, streamed or not. `request_number` makes
/// completion ids unique; `token_delay` paces streams unless the request's
/// `X-Emulator-Token-Delay-Ms` (invalid: 400 `invalid_header`) says otherwise.
///
/// A request with the right key to one of those endpoints goes through
/// `limits` at `now`: refused there, it is a 429 with the `Retry-After` the
/// limits give; admitted, it is charged the `usage.total_tokens` of its reply
/// (0 for an error or the model list). Either answer carries the key's
/// `x-ratelimit-*` headers. A request answered by an injected `status`, refused for its key or
/// sent to an unknown path does not count.
exchange handle_request(const request_view& request, std::string_view api_key, std::uint64_t request_number,
                        fault_budget& budget, rate_limiter& limits, std::chrono::steady_clock::time_point now,
                        std::chrono::milliseconds token_delay = {});

/// The response for `error` under `faults`: the OpenAI error object (with a
/// numeric `code` under `code=number`), an HTML page or an empty body, and on
/// 429 and 503 `Retry-After` (`retry_after` in whole seconds, rounded up, at
/// least 1) and `retry-after-ms` (`retry_after` in milliseconds).
http_reply error_reply(const api_error& error, const fault_plan& faults,
                       std::chrono::milliseconds retry_after = std::chrono::seconds(1));

} // namespace dgrid::emulator

#endif
