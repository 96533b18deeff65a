#ifndef DGRID_DETAIL_HTTP_RESPONSE_STATUS_HPP
#define DGRID_DETAIL_HTTP_RESPONSE_STATUS_HPP

// Internal, compiled into the library only: what a response's status line and
// headers say, for plain calls and streams alike.

#include <dgrid/detail/engine/retry_rules.hpp>
#include <dgrid/detail/http/response_reader.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <string_view>

namespace dgrid::detail {

// Error bodies are read whole for their diagnostics, up to this size.
constexpr std::size_t max_error_body = 1u << 20;

// Notes the status and request id; for an error status, also what the body and
// the retry headers say, and returns the status' error.
inline error_code read_status(const response_reader& response, diagnostics& diag) {
    diag.http_status = response.status();
    diag.request_id = std::string(response[response_field::request_id]);
    if (response.status() / 100 == 2)
        return {};
    read_error_body(response.body(), diag);
    diag.retry_after = parse_retry_after(response[response_field::retry_after_ms],
                                         response[response_field::retry_after], std::chrono::system_clock::now());
    auto should_retry = response[response_field::should_retry];
    if (should_retry == "true")
        diag.should_retry = true;
    else if (should_retry == "false")
        diag.should_retry = false;
    return error_from_http_status(response.status());
}

inline bool is_event_stream(const response_reader& response) {
    auto type = response[response_field::content_type];
    constexpr std::string_view expected = "text/event-stream";
    return type.size() >= expected.size() &&
           std::equal(expected.begin(), expected.end(), type.begin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

// An error object in the body of a successful response (`{"error": {...}}`,
// which some gateways send with status 200): what it says goes to `diag`, and
// its error (error_from_error_object) is returned; else success. Defined in
// impl/json.ipp.
DGRID_DECL error_code read_error_member(const boost::json::object& top, diagnostics& diag);
// The same from a body's text, which holds such an error when it is an
// object with a non-null `error` and no `choices`.
DGRID_DECL error_code read_error_in_body(std::string_view body, diagnostics& diag);

// A completion or model list read from a successful response that holds
// nothing but an error object is that error.
inline error_code error_in_answer(const chat_completion& c, diagnostics& diag) {
    return c.choices.empty() ? read_error_member(c.extra, diag) : error_code();
}
inline error_code error_in_answer(const model_list& l, diagnostics& diag) {
    return l.data.empty() ? read_error_member(l.extra, diag) : error_code();
}

// Forgets what one failed attempt said before the next, keeping the count.
inline void forget_attempt(diagnostics& diag) {
    unsigned attempts = diag.attempts;
    diag.clear();
    diag.attempts = attempts;
}

} // namespace dgrid::detail

#endif
