#ifndef DGRID_DETAIL_BATCH_ADAPTIVE_LIMIT_HPP
#define DGRID_DETAIL_BATCH_ADAPTIVE_LIMIT_HPP

// Internal: how many calls a batch keeps under way, adapted to what the
// gateway says (sans-io: the runner tells it what happened and when).
// Additive increase, multiplicative decrease, as TCP does: from a small
// start the bound doubles per round of answers until the first throttling
// (slow start), then grows by one per round; a 429 or 503 halves it, a 429
// also holds new calls for the wait the gateway asks; and while the
// `x-ratelimit-remaining-*` headers say the window is nearly spent (fewer
// requests left than the bound, or less than 5 % of the tokens), new calls
// wait until it has refilled enough.

#include <dgrid/response_info.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace dgrid::detail {

class adaptive_limit {
public:
    using clock = std::chrono::steady_clock;

    // `fixed`: a bound that never changes; else it adapts up to `max`.
    adaptive_limit(std::size_t max, std::optional<std::size_t> fixed)
        : max_(std::max<std::size_t>(1, fixed.value_or(max))), fixed_(fixed.has_value()),
          current_(fixed ? max_ : std::min<std::size_t>(initial, max_)) {}

    std::size_t current() const noexcept { return current_; }

    // No new call before this.
    clock::time_point paused_until() const noexcept { return paused_until_; }

    // A call was answered; `limits` are its rate-limit headers.
    void on_answer(clock::time_point now, const rate_limits& limits) {
        hold_for_window(now, limits);
        if (fixed_ || now < paused_until_)
            return;
        if (slow_start_) {
            current_ = std::min(max_, current_ + 1);
        } else if (++answers_ >= current_) {
            answers_ = 0;
            current_ = std::min(max_, current_ + 1);
        }
    }

    // A 429 (retried by the client or not): halves the bound and holds new
    // calls for `wait`, what the gateway asked for; `round`: how long a call
    // takes.
    void on_rate_limited(clock::time_point now, std::chrono::milliseconds wait, std::chrono::milliseconds round) {
        paused_until_ = std::max(paused_until_, now + wait);
        decrease(now, std::max(wait, round));
    }

    // A 503: halves the bound. No hold: the client's backoff is not the
    // gateway's word, and the calls under way go on.
    void on_overloaded(clock::time_point now, std::chrono::milliseconds round) { decrease(now, round); }

    static constexpr std::size_t initial = 8;

private:
    // One decrease per round: the calls of one round fail together.
    void decrease(clock::time_point now, std::chrono::milliseconds round) {
        if (fixed_ || now < decreased_until_)
            return;
        slow_start_ = false;
        answers_ = 0;
        current_ = std::max<std::size_t>(1, current_ / 2);
        decreased_until_ = now + round;
    }

    // While the window is nearly spent, new calls wait until it has room
    // again: as long as its reset takes to refill what is missing, at the
    // pace the headers imply (`reset` refills `limit - remaining`); the
    // whole reset when the limit is not said.
    void hold_for_window(clock::time_point now, const rate_limits& limits) {
        const auto hold = [&](std::int64_t missing, const std::optional<std::int64_t>& remaining,
                              const std::optional<std::int64_t>& limit,
                              const std::optional<std::chrono::milliseconds>& reset) {
            if (!reset || missing <= 0)
                return;
            std::chrono::milliseconds wait = *reset;
            if (limit && *limit > *remaining)
                wait = std::min(wait, *reset * missing / (*limit - *remaining));
            paused_until_ = std::max(paused_until_, now + wait);
        };
        if (limits.remaining_requests)
            hold(static_cast<std::int64_t>(current_) - *limits.remaining_requests, limits.remaining_requests,
                 limits.limit_requests, limits.reset_requests);
        if (limits.remaining_tokens && limits.limit_tokens)
            hold(*limits.limit_tokens / 20 - *limits.remaining_tokens, limits.remaining_tokens, limits.limit_tokens,
                 limits.reset_tokens);
    }

    std::size_t max_;
    bool fixed_;
    std::size_t current_;
    bool slow_start_ = true;
    std::size_t answers_ = 0; // since the bound last grew, out of slow start
    clock::time_point paused_until_{};
    clock::time_point decreased_until_{};
};

} // namespace dgrid::detail

#endif
