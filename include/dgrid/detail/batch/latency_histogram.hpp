#ifndef DGRID_DETAIL_BATCH_LATENCY_HISTOGRAM_HPP
#define DGRID_DETAIL_BATCH_LATENCY_HISTOGRAM_HPP

// Internal: percentiles of a batch's latencies in fixed memory, however many
// lines: buckets 5 % wide from 0.1 ms to about an hour, so a percentile is
// within 2.5 % of the true one.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace dgrid::detail {

class latency_histogram {
public:
    void add(double ms) {
        ++counts_[bucket_of(ms)];
        ++total_;
    }

    std::size_t count() const noexcept { return total_; }

    // The `p`th percentile (0 < p <= 100) in ms; 0 when empty.
    double percentile(double p) const {
        if (total_ == 0)
            return 0;
        const auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
        std::uint64_t seen = 0;
        for (std::size_t b = 0; b < buckets; ++b) {
            seen += counts_[b];
            if (seen >= rank && counts_[b] > 0)
                return middle_of(b);
        }
        return middle_of(buckets - 1);
    }

private:
    static constexpr double smallest = 0.1; // ms
    static constexpr double growth = 1.05;
    static constexpr std::size_t buckets = 360;

    static std::size_t bucket_of(double ms) {
        if (!(ms > smallest))
            return 0;
        const double b = std::log(ms / smallest) / std::log(growth);
        return b >= buckets - 1 ? buckets - 1 : static_cast<std::size_t>(b);
    }

    // The geometric middle of bucket `b`.
    static double middle_of(std::size_t b) { return smallest * std::pow(growth, static_cast<double>(b) + 0.5); }

    std::array<std::uint64_t, buckets> counts_{};
    std::uint64_t total_ = 0;
};

} // namespace dgrid::detail

#endif
