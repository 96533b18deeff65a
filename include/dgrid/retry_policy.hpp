#ifndef DGRID_RETRY_POLICY_HPP
#define DGRID_RETRY_POLICY_HPP

#include <chrono>
#include <cstddef>

namespace dgrid {

/// When and how a failed request is sent again. Retried: connection errors
/// (before any response), timeouts, HTTP 408, 409, 429 and 5xx; never other
/// statuses. A server's `x-should-retry: true|false` overrides that. A stream
/// is retried only until part of its answer reached the caller.
struct retry_policy {
    /// Retries after the first attempt; 0 turns retrying off. A stream's
    /// retries, while it opens and while its body is read, count together.
    unsigned max_retries = 2;

    /// The wait before the first retry; it doubles for each further one.
    std::chrono::milliseconds initial_backoff = std::chrono::milliseconds(500);

    /// The longest computed wait.
    std::chrono::milliseconds max_backoff = std::chrono::seconds(8);

    /// Each computed wait is shortened by a random part of up to this share,
    /// so that clients failed together do not retry together.
    double jitter = 0.25;

    /// A wait the server asks for (`retry-after-ms`, `Retry-After` in seconds
    /// or as an HTTP date) is honoured up to this long; a longer one falls back
    /// to the computed backoff.
    std::chrono::milliseconds max_retry_after = std::chrono::seconds(60);

    /// Retry budget of the whole client, so that an outage does not multiply
    /// the load: over `budget_window`, retries may add at most
    /// `budget_ratio` of the requests sent, plus `budget_min_retries`.
    double budget_ratio = 0.2;
    /// The sliding window over which the budget counts requests and retries.
    std::chrono::milliseconds budget_window = std::chrono::seconds(10);
    /// Retries the budget allows in any window on top of `budget_ratio`.
    std::size_t budget_min_retries = 10;
};

} // namespace dgrid

#endif
