#ifndef DGRID_EMULATOR_HANDLER_HPP
#define DGRID_EMULATOR_HANDLER_HPP

#include "emulator/api_error.hpp"
#include "emulator/faults.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dgrid::emulator {

/// A response before it meets the wire: the server adds `Content-Length`,
/// `Connection` and `x-request-id`.
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
};

/// The handler's decision: the reply, and the faults the server still has to
/// act out on the connection (stall, resets, byte-wise writes, closing).
struct exchange {
    http_reply reply;  ///< what to send, unless a reset fault cuts it short
    fault_plan faults; ///< the request's faults; empty once `fail-times` ran out
};

/// Answers one request, without I/O: parses its faults (an invalid header is a
/// 400 `invalid_fault`), counts them against `budget`, checks the bearer token
/// against `api_key` for every `/v1` path, and serves `GET /v1/models` and
/// `POST /v1/chat/completions`. `request_number` makes completion ids unique.
exchange handle_request(const request_view& request, std::string_view api_key, std::uint64_t request_number,
                        fault_budget& budget);

/// The response for `error` under `faults`: the OpenAI error object (with a
/// numeric `code` under `code=number`), an HTML page or an empty body, and
/// `Retry-After: 1` / `retry-after-ms: 1000` on 429 and 503.
http_reply error_reply(const api_error& error, const fault_plan& faults);

} // namespace dgrid::emulator

#endif
