#ifndef DGRID_DIAGNOSTICS_HPP
#define DGRID_DIAGNOSTICS_HPP

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace dgrid {

/// What is known about a failed operation beyond its `error_code`: what the
/// gateway said, or what the client found wrong. Never holds the API key.
struct diagnostics {
    /// Equal when every member is.
    bool operator==(const diagnostics&) const = default;

    /// HTTP status of the response, 0 when none was received (200 for an
    /// error object in a successful response or inside a stream).
    unsigned http_status = 0;

    /// `error.message` of an OpenAI-shaped error body, or the client's own
    /// description (for example the path of a field with the wrong type).
    std::string message;

    /// `error.type` of the error body, empty when absent.
    std::string type;

    /// `error.param`, absent when missing or null.
    std::optional<std::string> param;

    /// `error.code`: a string, a number, or null; gateways differ.
    boost::json::value code;

    /// The `x-request-id` response header, empty when absent.
    std::string request_id;

    /// The start of a body that is not an OpenAI-shaped error (an HTML page
    /// from a proxy, say), at most 512 bytes.
    std::string body_excerpt;

    /// How long the server asked to wait (`retry-after-ms`, `Retry-After`).
    std::optional<std::chrono::milliseconds> retry_after;

    /// The server's `x-should-retry` header, when it sent one.
    std::optional<bool> should_retry;

    /// Requests sent, the last one included (for a stream, every request sent
    /// for it, also those sent again while its body was read); 0 when it
    /// failed before any I/O.
    unsigned attempts = 0;

    /// Forgets everything, for reuse of one object across operations. The
    /// strings keep their memory: a stream clears its diagnostics per chunk.
    void clear() {
        http_status = 0;
        message.clear();
        type.clear();
        param.reset();
        if (!code.is_null())
            code = nullptr;
        request_id.clear();
        body_excerpt.clear();
        retry_after.reset();
        should_retry.reset();
        attempts = 0;
    }
};

} // namespace dgrid

#endif
