#ifndef DGRID_DETAIL_ENGINE_REQUEST_LIMITS_HPP
#define DGRID_DETAIL_ENGINE_REQUEST_LIMITS_HPP

// Internal: the deadlines and retries of one request, the client's options
// with the call's request_options over them, resolved when the call starts.

#include <dgrid/client_options.hpp>
#include <dgrid/request_options.hpp>

#include <chrono>

namespace dgrid::detail {

struct request_limits {
    std::chrono::milliseconds headers;     // timeouts.headers
    std::chrono::milliseconds total;       // timeouts.total, or stream_total for a stream
    std::chrono::milliseconds stream_idle; // timeouts.stream_idle
    unsigned max_retries;                  // retry.max_retries

    // `stream`: the request opens a stream (its total is `stream_total`).
    static request_limits of(const client_options& client, const request_options& call, bool stream) {
        const timeout_options& t = client.timeouts;
        return {call.headers_timeout.value_or(t.headers),
                call.total_timeout.value_or(stream ? t.stream_total : t.total),
                call.stream_idle_timeout.value_or(t.stream_idle), call.max_retries.value_or(client.retry.max_retries)};
    }
};

} // namespace dgrid::detail

#endif
