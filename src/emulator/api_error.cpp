#include "emulator/api_error.hpp"

#include <utility>

namespace dgrid::emulator {

api_error::api_error(unsigned status, const std::string& message, std::string type, std::string code,
                     std::optional<std::string> param)
    : std::runtime_error(message), status_(status), type_(std::move(type)), code_(std::move(code)),
      param_(std::move(param)) {}

std::string_view reason_phrase(unsigned status) noexcept {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

api_error injected_error(unsigned status) {
    struct kind {
        const char* type;
        const char* code;
    };
    const kind k = [status]() -> kind {
        switch (status) {
        case 400: return {"invalid_request_error", "bad_request"};
        case 401: return {"authentication_error", "invalid_api_key"};
        case 402: return {"invalid_request_error", "insufficient_quota"};
        case 403: return {"permission_error", "permission_denied"};
        case 404: return {"not_found_error", "not_found"};
        case 408: return {"timeout_error", "request_timeout"};
        case 409: return {"conflict_error", "conflict"};
        case 422: return {"invalid_request_error", "unprocessable_entity"};
        case 429: return {"rate_limit_error", "rate_limit_exceeded"};
        case 500: return {"server_error", "internal_server_error"};
        case 502: return {"server_error", "bad_gateway"};
        case 503: return {"server_error", "service_unavailable"};
        case 504: return {"server_error", "gateway_timeout"};
        default: return {status < 500 ? "invalid_request_error" : "api_error", "http_error"};
        }
    }();
    return {status, std::string(reason_phrase(status)) + " (injected by X-Emulator-Fault)", k.type, k.code};
}

} // namespace dgrid::emulator
