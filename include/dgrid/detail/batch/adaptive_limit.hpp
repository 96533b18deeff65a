#ifndef DGRID_DETAIL_BATCH_ADAPTIVE_LIMIT_HPP
#define DGRID_DETAIL_BATCH_ADAPTIVE_LIMIT_HPP

// Internal: how many calls a batch keeps under way and how fast it starts
// them, adapted to what the gateway says (sans-io: the runner tells it what
// happened and when). Additive increase, multiplicative decrease, as TCP
// does: from a small start the bound grows by one per answer until the first
// throttling (slow start), then by one per round; a 429 or 503 halves it, a
// 429 also holds new calls for the wait the gateway asks. And while the
// `x-ratelimit-remaining-*` headers say the window is nearly spent (fewer
// requests left than the bound, or less than 5 % of the tokens), requests go
// out at the pace the window refills (what is missing over the time the reset
// header gives), a little below it so that the gateway's bucket never runs
// dry: a steady stream rather than bursts that each end in 429s.

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

    // No new call before this: after a 429's wait, at the window's pace.
    clock::time_point ready_at() const noexcept { return std::max({paused_until_, next_request_, next_tokens_}); }

    // Paced to the window's refill: requests per second, tokens per second.
    std::optional<double> request_pace() const noexcept { return request_pace_; }
    std::optional<double> token_pace() const noexcept { return token_pace_; }

    // A request went out (a call, or a client's retry of one) with about
    // `tokens`: the next waits its turn at the pace.
    void on_sent(clock::time_point now, double tokens) {
        if (request_pace_)
            next_request_ = std::max(next_request_, now) + seconds(1 / *request_pace_);
        if (token_pace_)
            next_tokens_ = std::max(next_tokens_, now) + seconds(tokens / *token_pace_);
    }

    // A call was answered; `limits` are its rate-limit headers.
    void on_answer(clock::time_point now, const rate_limits& limits) {
        pace_to_window(now, limits);
        if (fixed_ || now < paused_until_ || request_pace_ || token_pace_)
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

    // The share of the window's refill rate requests go out at: timing
    // jitter then leaves the gateway's bucket a request or two, not a 429.
    static constexpr double pace_margin = 0.97;

    static clock::duration seconds(double s) {
        return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(s));
    }

    // Starts or ends the pace of requests and of tokens as the window says.
    // Without the limit, the refill rate is unknown: new calls wait for the
    // whole reset instead.
    void pace_to_window(clock::time_point now, const rate_limits& limits) {
        const auto pace = [&](std::optional<double>& rate, bool nearly_spent,
                              const std::optional<std::int64_t>& remaining, const std::optional<std::int64_t>& limit,
                              const std::optional<std::chrono::milliseconds>& reset) {
            if (!nearly_spent || !reset) {
                rate.reset();
            } else if (limit && *limit > *remaining && reset->count() > 0) {
                rate = pace_margin * static_cast<double>(*limit - *remaining) /
                       (static_cast<double>(reset->count()) / 1000);
            } else {
                rate.reset();
                paused_until_ = std::max(paused_until_, now + *reset);
            }
        };
        if (limits.remaining_requests)
            pace(request_pace_, *limits.remaining_requests < static_cast<std::int64_t>(current_),
                 limits.remaining_requests, limits.limit_requests, limits.reset_requests);
        if (limits.remaining_tokens && limits.limit_tokens)
            pace(token_pace_, *limits.remaining_tokens < *limits.limit_tokens / 20, limits.remaining_tokens,
                 limits.limit_tokens, limits.reset_tokens);
    }

    std::size_t max_;
    bool fixed_;
    std::size_t current_;
    bool slow_start_ = true;
    std::size_t answers_ = 0; // since the bound last grew, out of slow start
    clock::time_point paused_until_{};
    clock::time_point decreased_until_{};
    std::optional<double> request_pace_; // per second, while the window is nearly spent
    std::optional<double> token_pace_;   // per second, likewise
    clock::time_point next_request_{};   // the pace's next turns
    clock::time_point next_tokens_{};
};

} // namespace dgrid::detail

#endif
