#include "emulator/rate_limits.hpp"

#include "emulator/go_duration.hpp"

#include <algorithm>

namespace dgrid::emulator {
namespace {

// For a >= 0 and b > 0.
std::int64_t ceil_div(std::int64_t a, std::int64_t b) noexcept { return (a + b - 1) / b; }

void add_headers(header_list& headers, const char* kind, const std::optional<token_bucket>& bucket) {
    if (!bucket) {
        return;
    }
    headers.emplace_back(std::string("x-ratelimit-limit-") + kind, std::to_string(bucket->limit()));
    headers.emplace_back(std::string("x-ratelimit-remaining-") + kind, std::to_string(bucket->remaining()));
    headers.emplace_back(std::string("x-ratelimit-reset-") + kind, to_go_duration(bucket->until_full()));
}

header_list headers_of(const std::optional<token_bucket>& requests, const std::optional<token_bucket>& tokens) {
    header_list headers;
    add_headers(headers, "requests", requests);
    add_headers(headers, "tokens", tokens);
    return headers;
}

} // namespace

token_bucket::token_bucket(std::uint64_t limit, clock::time_point now)
    : limit_(static_cast<std::int64_t>(std::min(limit, max_rate_limit))), level_(full()), refilled_(now) {}

void token_bucket::refill(clock::time_point now) noexcept {
    // A request that read the clock before another one took the lock comes
    // with an earlier `now`: the bucket is already refilled past it.
    if (now <= refilled_) {
        return;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - refilled_);
    // Only whole milliseconds flow in; the rest waits for the next refill.
    refilled_ += elapsed;
    // Comparing first keeps the product below from overflowing after a long idle time.
    if (elapsed >= until_full()) {
        level_ = full();
    } else {
        level_ += elapsed.count() * limit_;
    }
}

void token_bucket::take(std::uint64_t units) noexcept { level_ -= static_cast<std::int64_t>(units) * scale; }

std::uint64_t token_bucket::remaining() const noexcept {
    return level_ > 0 ? static_cast<std::uint64_t>(level_ / scale) : 0;
}

std::uint64_t token_bucket::used() const noexcept {
    return static_cast<std::uint64_t>(ceil_div(full() - level_, scale));
}

std::chrono::milliseconds token_bucket::until_full() const noexcept {
    return std::chrono::milliseconds(ceil_div(full() - level_, limit_));
}

std::chrono::milliseconds token_bucket::until_holds(std::uint64_t units) const noexcept {
    const std::int64_t wanted = static_cast<std::int64_t>(units) * scale;
    return std::chrono::milliseconds(level_ >= wanted ? 0 : ceil_div(wanted - level_, limit_));
}

std::chrono::milliseconds token_bucket::until_positive() const noexcept {
    return std::chrono::milliseconds(level_ > 0 ? 0 : -level_ / limit_ + 1);
}

rate_limiter::rate_limiter(std::uint64_t requests_per_minute, std::uint64_t tokens_per_minute)
    : requests_per_minute_(requests_per_minute), tokens_per_minute_(tokens_per_minute) {}

std::optional<rate_limit_refusal> rate_limiter::admit(std::string_view key, clock::time_point now) {
    if (!limited()) {
        return std::nullopt;
    }
    const std::lock_guard lock(mutex_);
    key_buckets& buckets = refilled(key, now);
    const std::chrono::milliseconds request_wait =
        buckets.requests ? buckets.requests->until_holds(1) : std::chrono::milliseconds(0);
    const std::chrono::milliseconds token_wait =
        buckets.tokens ? buckets.tokens->until_positive() : std::chrono::milliseconds(0);
    if (request_wait.count() == 0 && token_wait.count() == 0) {
        if (buckets.requests) {
            buckets.requests->take(1);
        }
        return std::nullopt;
    }

    const std::chrono::milliseconds retry_after = std::max(request_wait, token_wait);
    // Of two short buckets, the request bucket names the refusal.
    const bool requests_short = request_wait.count() > 0;
    const token_bucket& bucket = requests_short ? *buckets.requests : *buckets.tokens;
    // OpenAI's wording; the token limit has no "Requested": the reply's cost is known only once it is made.
    std::string message = requests_short ? "Rate limit reached for requests per min (RPM): Limit "
                                         : "Rate limit reached for tokens per min (TPM): Limit ";
    message += std::to_string(bucket.limit()) + ", Used " + std::to_string(bucket.used());
    if (requests_short) {
        message += ", Requested 1";
    }
    message += ". Please try again in " + to_go_duration(retry_after) + ".";
    return rate_limit_refusal{api_error(429, message, requests_short ? "requests" : "tokens", "rate_limit_exceeded"),
                              retry_after, headers_of(buckets.requests, buckets.tokens)};
}

header_list rate_limiter::charge(std::string_view key, std::uint64_t tokens, clock::time_point now) {
    if (!limited()) {
        return {};
    }
    const std::lock_guard lock(mutex_);
    key_buckets& buckets = refilled(key, now);
    if (buckets.tokens) {
        buckets.tokens->take(tokens);
    }
    return headers_of(buckets.requests, buckets.tokens);
}

rate_limiter::key_buckets& rate_limiter::refilled(std::string_view key, clock::time_point now) {
    const auto [found, added] = keys_.try_emplace(std::string(key));
    key_buckets& buckets = found->second;
    if (added) {
        if (requests_per_minute_ != 0) {
            buckets.requests.emplace(requests_per_minute_, now);
        }
        if (tokens_per_minute_ != 0) {
            buckets.tokens.emplace(tokens_per_minute_, now);
        }
    }
    if (buckets.requests) {
        buckets.requests->refill(now);
    }
    if (buckets.tokens) {
        buckets.tokens->refill(now);
    }
    return buckets;
}

} // namespace dgrid::emulator
