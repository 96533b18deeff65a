#ifndef DGRID_ERROR_HPP
#define DGRID_ERROR_HPP

#include <dgrid/detail/config.hpp>

#include <boost/describe/enum.hpp>
#include <boost/system/error_code.hpp>

#include <string_view>
#include <type_traits>

namespace boost::json {
class value;
}

namespace dgrid {

/// The error code type of every dgrid operation.
using error_code = boost::system::error_code;

/// Errors reported by dgrid operations, in the category returned by
/// `dgrid::error_category()`. Errors from lower layers (sockets, TLS, Beast)
/// are passed through in their own categories.
enum class error {
    // Configuration, detected before any I/O.
    missing_api_key = 1,  ///< No API key given and `DGRID_API_KEY` is unset or empty.
    invalid_base_url,     ///< The base URL is not `http(s)://host[:port][/path]`.
    invalid_header_value, ///< A header name or value holds CR, LF, NUL or is malformed.
    invalid_request,      ///< The request cannot be serialized (e.g. a non-finite number).

    // HTTP status errors: the gateway answered with this status.
    bad_request,           ///< 400
    authentication_failed, ///< 401
    payment_required,      ///< 402
    permission_denied,     ///< 403
    not_found,             ///< 404
    request_timeout,       ///< 408
    conflict,              ///< 409
    unprocessable_entity,  ///< 422
    rate_limited,          ///< 429
    internal_server_error, ///< 500
    bad_gateway,           ///< 502
    service_unavailable,   ///< 503
    gateway_timeout,       ///< 504
    unexpected_status,     ///< Any other non-2xx status.

    // Protocol errors.
    invalid_json,        ///< A response body is not valid JSON.
    malformed_response,  ///< Valid JSON, but a field has the wrong type or is missing.
    response_too_large,  ///< The response body exceeds `client_options::max_response_size`.
    headers_too_large,   ///< The response headers exceed `client_options::max_header_size`.
    connect_timeout,     ///< TCP connect or TLS handshake took longer than `pool.connect_timeout`.
    headers_timeout,     ///< The response headers took longer than `timeouts.headers`.
    stream_idle_timeout, ///< No data event for `timeouts.stream_idle` (keep-alive comments do not count).
    total_timeout,       ///< The whole operation, retries included, took longer than its total deadline.
    pool_closed,         ///< The client was shut down while the operation waited.

    // Streaming.
    stream_truncated,    ///< The event stream ended before `data: [DONE]` while a choice had not finished.
    stream_error,        ///< The gateway reported an error inside the event stream.
    event_too_large,     ///< One server-sent event exceeds the configured size limit.
    not_an_event_stream, ///< A streaming request was answered with another content type.

    // What the body of a successful response says.
    upstream_error, ///< A 2xx answer whose body is an error object that names no more precise error.

    // Proxies.
    proxy_authentication_required, ///< The proxy answered 407: its credentials are missing or wrong.
    proxy_refused,                 ///< The proxy did not open a tunnel to the gateway (CONNECT not answered 2xx).

    // Typed answers (`chat_completion::parse`, `from_json` of a described type, tools).
    refused,          ///< The model declined to answer (`message.refusal`).
    content_not_json, ///< The answer's content is not JSON (or there is no answer).
    type_mismatch,    ///< JSON that does not match the type it is read into; `diag.message` names where.
    tool_failed,      ///< A tool call named no tool of the set, or its handler threw.
    too_many_steps,   ///< The model still called tools at the last of `run_tools_options::max_steps` requests.
};

/// The enumerators' names, for `boost::describe::enum_to_string` ("rate_limited").
BOOST_DESCRIBE_ENUM(error, missing_api_key, invalid_base_url, invalid_header_value, invalid_request, bad_request,
                    authentication_failed, payment_required, permission_denied, not_found, request_timeout, conflict,
                    unprocessable_entity, rate_limited, internal_server_error, bad_gateway, service_unavailable,
                    gateway_timeout, unexpected_status, invalid_json, malformed_response, response_too_large,
                    headers_too_large, connect_timeout, headers_timeout, stream_idle_timeout, total_timeout,
                    pool_closed, stream_truncated, stream_error, event_too_large, not_an_event_stream, upstream_error,
                    proxy_authentication_required, proxy_refused, refused, content_not_json, type_mismatch, tool_failed,
                    too_many_steps)

/// The category of `dgrid::error` codes (name "dgrid").
DGRID_DECL const boost::system::error_category& error_category() noexcept;

/// Makes `error_code` from `dgrid::error`, found by argument-dependent lookup.
inline error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

/// The error for an HTTP status >= 300, or `error::unexpected_status`.
DGRID_DECL error error_from_http_status(unsigned status) noexcept;

/// The error an OpenAI-shaped error object stands for when it came with a
/// successful status (some gateways answer 200 with `{"error": {...}}`): from
/// its `code` when that is an HTTP status (a number, or digits), else from
/// the words of its `code`, then of its `type` (`rate_limit` gives
/// `rate_limited`, `invalid_api_key` or `authentication` gives
/// `authentication_failed`, `quota`, `balance` or `credit` gives
/// `payment_required`, ...), else `error::upstream_error`.
DGRID_DECL error error_from_error_object(const boost::json::value& code, std::string_view type) noexcept;

} // namespace dgrid

/// @cond
template <>
struct boost::system::is_error_code_enum<dgrid::error> : std::true_type {};
/// @endcond

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/error.ipp>
#endif

#endif
