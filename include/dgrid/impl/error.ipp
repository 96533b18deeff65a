#ifndef DGRID_IMPL_ERROR_IPP
#define DGRID_IMPL_ERROR_IPP

#include <dgrid/error.hpp>

#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace dgrid {
namespace detail {

class dgrid_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "dgrid"; }

    std::string message(int ev) const override { return describe(static_cast<error>(ev)); }

private:
    static const char* describe(error e) noexcept {
        switch (e) {
        case error::missing_api_key: return "no API key: set client_options::api_key or DGRID_API_KEY";
        case error::invalid_base_url: return "invalid base URL";
        case error::invalid_header_value: return "invalid HTTP header name or value";
        case error::invalid_request: return "the request cannot be serialized";
        case error::bad_request: return "bad request (HTTP 400)";
        case error::authentication_failed: return "authentication failed (HTTP 401)";
        case error::payment_required: return "payment required (HTTP 402)";
        case error::permission_denied: return "permission denied (HTTP 403)";
        case error::not_found: return "not found (HTTP 404)";
        case error::request_timeout: return "request timeout (HTTP 408)";
        case error::conflict: return "conflict (HTTP 409)";
        case error::unprocessable_entity: return "unprocessable entity (HTTP 422)";
        case error::rate_limited: return "rate limited (HTTP 429)";
        case error::internal_server_error: return "internal server error (HTTP 500)";
        case error::bad_gateway: return "bad gateway (HTTP 502)";
        case error::service_unavailable: return "service unavailable (HTTP 503)";
        case error::gateway_timeout: return "gateway timeout (HTTP 504)";
        case error::unexpected_status: return "unexpected HTTP status";
        case error::invalid_json: return "the response is not valid JSON";
        case error::malformed_response: return "the response does not have the expected shape";
        case error::response_too_large: return "the response exceeds the configured size limit";
        case error::headers_too_large: return "the response headers exceed the configured size limit";
        case error::connect_timeout: return "connect or TLS handshake timed out";
        case error::headers_timeout: return "the response headers did not arrive in time";
        case error::stream_idle_timeout: return "the stream sent no data for too long";
        case error::total_timeout: return "the operation exceeded its total deadline";
        case error::pool_closed: return "the client was shut down";
        case error::stream_truncated: return "the stream ended before its answer was complete";
        case error::stream_error: return "the gateway reported an error in the stream";
        case error::event_too_large: return "a server-sent event exceeds the configured size limit";
        case error::not_an_event_stream: return "the response to a streaming request is not an event stream";
        case error::upstream_error: return "the gateway answered with an error object";
        case error::proxy_authentication_required: return "the proxy wants credentials (HTTP 407)";
        case error::proxy_refused: return "the proxy refused the tunnel to the gateway";
        case error::refused: return "the model refused to answer";
        case error::content_not_json: return "the answer is not JSON";
        case error::type_mismatch: return "the JSON does not match the expected type";
        case error::tool_failed: return "a tool call failed";
        case error::too_many_steps: return "the model still called tools after the last step allowed";
        }
        return "unknown dgrid error";
    }
};

} // namespace detail

DGRID_DECL const boost::system::error_category& error_category() noexcept {
    static const detail::dgrid_category instance;
    return instance;
}

DGRID_DECL error error_from_http_status(unsigned status) noexcept {
    switch (status) {
    case 400: return error::bad_request;
    case 401: return error::authentication_failed;
    case 402: return error::payment_required;
    case 403: return error::permission_denied;
    case 404: return error::not_found;
    case 407: return error::proxy_authentication_required;
    case 408: return error::request_timeout;
    case 409: return error::conflict;
    case 422: return error::unprocessable_entity;
    case 429: return error::rate_limited;
    case 500: return error::internal_server_error;
    case 502: return error::bad_gateway;
    case 503: return error::service_unavailable;
    case 504: return error::gateway_timeout;
    default: return error::unexpected_status;
    }
}

DGRID_DECL error error_from_error_object(const boost::json::value& code, std::string_view type) noexcept {
    unsigned status = 0;
    if (const std::int64_t* n = code.if_int64(); n && *n > 0 && *n < 1000)
        status = static_cast<unsigned>(*n);
    else if (const std::uint64_t* u = code.if_uint64(); u && *u < 1000)
        status = static_cast<unsigned>(*u);
    std::string_view code_text;
    if (const boost::json::string* s = code.if_string())
        code_text = std::string_view(s->data(), s->size());
    if (code_text.size() == 3 &&
        std::all_of(code_text.begin(), code_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        status = static_cast<unsigned>((code_text[0] - '0') * 100 + (code_text[1] - '0') * 10 + (code_text[2] - '0'));
    if (status >= 400 && status <= 599) {
        const error e = error_from_http_status(status);
        return e == error::unexpected_status ? error::upstream_error : e;
    }
    // Words gateways use in `code` (`rate_limit_exceeded`, `invalid_api_key`,
    // `insufficient_quota`, `model_not_found`, `context_length_exceeded`) and
    // in `type` (`rate_limit_error`, `RateLimitError`, ...), compared without
    // case and separators.
    struct word {
        std::string_view letters;
        error e;
    };
    static constexpr word words[] = {
        {"ratelimit", error::rate_limited},
        {"toomanyrequests", error::rate_limited},
        {"invalidapikey", error::authentication_failed},
        {"authentication", error::authentication_failed},
        {"unauthorized", error::authentication_failed},
        {"quota", error::payment_required},
        {"balance", error::payment_required},
        {"credit", error::payment_required},
        {"payment", error::payment_required},
        {"permission", error::permission_denied},
        {"forbidden", error::permission_denied},
        {"notfound", error::not_found},
        {"contextlength", error::bad_request},
        {"invalidrequest", error::bad_request},
        {"badrequest", error::bad_request},
        {"overloaded", error::service_unavailable},
        {"unavailable", error::service_unavailable},
        {"timeout", error::gateway_timeout},
    };
    for (std::string_view text : {code_text, type}) {
        char buffer[128];
        std::size_t n = 0;
        for (char c : text) {
            if (n == sizeof buffer)
                break;
            if (c != '_' && c != '-' && c != ' ' && c != '.')
                buffer[n++] = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        const std::string_view letters(buffer, n);
        for (const word& w : words)
            if (letters.find(w.letters) != std::string_view::npos)
                return w.e;
    }
    return error::upstream_error;
}

} // namespace dgrid

#endif
