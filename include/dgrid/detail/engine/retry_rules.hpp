#ifndef DGRID_DETAIL_ENGINE_RETRY_RULES_HPP
#define DGRID_DETAIL_ENGINE_RETRY_RULES_HPP

// Sans-io: whether and when a failed attempt is sent again, and the
// client-wide budget that caps retries.

#include <dgrid/detail/config.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/retry_policy.hpp>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string_view>

namespace dgrid::detail {

// True when the failure `ec` (with what the server said in `diag`) may go
// away if the request is sent again.
DGRID_DECL bool is_retryable(error_code ec, const diagnostics& diag) noexcept;

// The wait before retry number `retry` (0 for the first), from the server's
// wish when it is reasonable, else exponential backoff with jitter;
// `random01` is uniform in [0, 1).
DGRID_DECL std::chrono::milliseconds retry_delay(const retry_policy& policy, unsigned retry, const diagnostics& diag,
                                                 double random01) noexcept;

// Reads `retry-after-ms` (milliseconds), else `Retry-After` (seconds, or an
// HTTP date compared with `now`). Negative or unreadable values are ignored.
DGRID_DECL std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view retry_after_ms,
                                                                      std::string_view retry_after,
                                                                      std::chrono::system_clock::time_point now);

// Reads an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
DGRID_DECL std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// Counts requests and retries over a sliding window (two half-windows) and
// allows a retry while retries stay within the policy's share. Thread-safe.
class retry_budget {
public:
    using clock = std::chrono::steady_clock;

    explicit retry_budget(const retry_policy& policy) : policy_(policy) {}

    // A first attempt was sent.
    DGRID_DECL void on_request(clock::time_point now);

    // Takes one retry from the budget if there is one left.
    DGRID_DECL bool try_retry(clock::time_point now);

private:
    void advance(clock::time_point now);

    retry_policy policy_;
    std::mutex mutex_;
    clock::time_point current_start_{};
    std::size_t requests_[2] = {0, 0}; // [0] current half-window, [1] previous
    std::size_t retries_[2] = {0, 0};
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/engine/retry_rules.ipp>
#endif

#endif
