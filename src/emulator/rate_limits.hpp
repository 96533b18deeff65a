#ifndef DGRID_EMULATOR_RATE_LIMITS_HPP
#define DGRID_EMULATOR_RATE_LIMITS_HPP

#include "emulator/api_error.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dgrid::emulator {

/// Response header fields, name and value, in order.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// The largest limit a bucket takes; a larger one counts as this. It keeps the
/// bucket's integer arithmetic far from overflow.
inline constexpr std::uint64_t max_rate_limit = 1'000'000'000'000;

/// A bucket of up to `limit` units (requests or tokens) that refills
/// continuously at `limit` units a minute. Taking may leave it below zero, in
/// debt, which the refill pays off first. Durations are rounded up to the
/// millisecond, so that after one the bucket has what was asked for.
class token_bucket {
public:
    using clock = std::chrono::steady_clock;

    /// A full bucket at `now`; `limit` is at least 1.
    token_bucket(std::uint64_t limit, clock::time_point now);

    /// The most units it holds.
    std::uint64_t limit() const noexcept { return static_cast<std::uint64_t>(limit_); }

    /// Adds what flowed in between the last refill and `now`, up to the limit.
    void refill(clock::time_point now) noexcept;

    /// Takes `units`, into debt if it holds fewer.
    void take(std::uint64_t units) noexcept;

    /// The whole units it holds; 0 in debt.
    std::uint64_t remaining() const noexcept;

    /// The units taken and not yet refilled, rounded up; more than the limit in debt.
    std::uint64_t used() const noexcept;

    /// The time until it is full again; 0 when it is.
    std::chrono::milliseconds until_full() const noexcept;

    /// The time until it holds at least `units`; 0 when it does.
    std::chrono::milliseconds until_holds(std::uint64_t units) const noexcept;

    /// The time until it holds more than nothing; 0 when it does.
    std::chrono::milliseconds until_positive() const noexcept;

private:
    // Exact integers: the level counts 1/60000 of a unit, so that a refill of
    // `limit` units a minute adds exactly `limit` to it each millisecond.
    static constexpr std::int64_t scale = 60'000;

    std::int64_t full() const noexcept { return limit_ * scale; }

    std::int64_t limit_;
    std::int64_t level_;
    clock::time_point refilled_;
};

/// A request that `rate_limiter::admit` refused.
struct rate_limit_refusal {
    api_error error; ///< 429 `rate_limit_exceeded`, `type` `requests` or `tokens` after the bucket that was short
    std::chrono::milliseconds retry_after; ///< until the request would be let through; at least 1 ms
    header_list headers;                   ///< the key's `x-ratelimit-*` headers
};

/// Per-API-key rate limits as OpenAI's API applies them: each key has a
/// request bucket of `requests_per_minute` (each admitted request takes 1) and
/// a token bucket of `tokens_per_minute` (each reply is charged its
/// `usage.total_tokens`, into debt if need be), both full at the key's first
/// request. A limit of 0 is none: that bucket is not kept and its headers are
/// not sent. Thread-safe.
///
/// The headers, for each limit set: `x-ratelimit-limit-<kind>` (the limit),
/// `x-ratelimit-remaining-<kind>` (whole units left, 0 in debt) and
/// `x-ratelimit-reset-<kind>` (the time until the bucket is full, see
/// `to_go_duration`), `<kind>` being `requests` or `tokens`.
class rate_limiter {
public:
    using clock = token_bucket::clock;

    /// Limits per key and minute; 0: none of that kind.
    rate_limiter(std::uint64_t requests_per_minute, std::uint64_t tokens_per_minute);

    /// Takes one request from `key`'s request bucket at `now`; or, when that
    /// bucket holds less than one request or the token bucket nothing, refuses
    /// the request and takes nothing. Always admits without limits.
    std::optional<rate_limit_refusal> admit(std::string_view key, clock::time_point now);

    /// Charges `tokens` to `key`'s token bucket at `now` and returns the key's
    /// headers after it; none without limits.
    header_list charge(std::string_view key, std::uint64_t tokens, clock::time_point now);

private:
    // An unset bucket is a limit of 0.
    struct key_buckets {
        std::optional<token_bucket> requests;
        std::optional<token_bucket> tokens;
    };

    bool limited() const noexcept { return requests_per_minute_ != 0 || tokens_per_minute_ != 0; }

    // `key`'s buckets, made full on its first request, refilled up to `now`.
    // The caller holds `mutex_`.
    key_buckets& refilled(std::string_view key, clock::time_point now);

    const std::uint64_t requests_per_minute_;
    const std::uint64_t tokens_per_minute_;
    std::mutex mutex_; // guards keys_
    std::unordered_map<std::string, key_buckets> keys_;
};

} // namespace dgrid::emulator

#endif
