#ifndef DGRID_DETAIL_BATCH_RATE_BUCKETS_HPP
#define DGRID_DETAIL_BATCH_RATE_BUCKETS_HPP

// Internal: caps on a batch's requests and tokens per minute, as two token
// buckets that hold a second's worth and fill at the cap's rate (sans-io):
// calls go out at a steady pace, never faster than the cap over any minute.
// A call takes one request and its estimated tokens when it starts; its
// `usage` corrects the estimate when it ends.

#include <algorithm>
#include <chrono>

namespace dgrid::detail {

class rate_bucket {
public:
    using clock = std::chrono::steady_clock;

    // `per_minute` 0: no cap.
    explicit rate_bucket(double per_minute) : rate_(per_minute / 60.0), level_(capacity()) {}

    // When `amount` may be taken: `now` when the bucket holds it (or, for
    // an amount over a second's worth, when it is full).
    clock::time_point ready_at(clock::time_point now, double amount) {
        if (rate_ <= 0)
            return now;
        fill(now);
        const double needed = std::min(amount, capacity()) - level_;
        if (needed <= 0)
            return now;
        return now + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(needed / rate_));
    }

    // Takes `amount` (negative: gives back); the level may go below zero
    // when a correction takes more than was left.
    void take(clock::time_point now, double amount) {
        if (rate_ <= 0)
            return;
        fill(now);
        level_ = std::min(capacity(), level_ - amount);
    }

private:
    double capacity() const noexcept { return std::max(1.0, rate_); }

    void fill(clock::time_point now) {
        if (last_ != clock::time_point{})
            level_ = std::min(capacity(), level_ + std::chrono::duration<double>(now - last_).count() * rate_);
        last_ = now;
    }

    double rate_; // per second
    double level_;
    clock::time_point last_{};
};

} // namespace dgrid::detail

#endif
