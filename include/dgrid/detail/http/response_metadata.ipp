#ifndef DGRID_DETAIL_HTTP_RESPONSE_METADATA_IPP
#define DGRID_DETAIL_HTTP_RESPONSE_METADATA_IPP

#include <dgrid/detail/http/response_metadata.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace dgrid::detail {

namespace response_metadata {

// A count such as `x-ratelimit-remaining-tokens`: digits only.
inline std::optional<std::int64_t> read_count(std::string_view text) noexcept {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 0)
        return std::nullopt;
    return n;
}

// Reads `[0-9]+(\.[0-9]*)?` at the front of `text`, and takes it off.
inline std::optional<double> read_number(std::string_view& text) noexcept {
    std::size_t digits = 0;
    while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
        ++digits;
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value, std::chars_format::fixed);
    if (digits == 0 || ec != std::errc() || end != text.data() + digits)
        return std::nullopt;
    text.remove_prefix(digits);
    return value;
}

// Milliseconds in one of a Go duration's units, taken off the front of `text`.
inline std::optional<double> read_unit(std::string_view& text) noexcept {
    struct unit {
        std::string_view name;
        double ms;
    };
    // Two-letter units first: `ms` is not `m` followed by `s`.
    static constexpr unit units[] = {{"ms", 1.0},  {"us", 1e-3}, {"\xC2\xB5s", 1e-3}, {"ns", 1e-6},
                                     {"h", 3.6e6}, {"m", 6e4},   {"s", 1e3}};
    for (const unit& u : units) {
        if (text.substr(0, u.name.size()) == u.name) {
            text.remove_prefix(u.name.size());
            return u.ms;
        }
    }
    return std::nullopt;
}

} // namespace response_metadata

DGRID_DECL std::optional<std::chrono::milliseconds> parse_reset_duration(std::string_view text) noexcept {
    using namespace response_metadata;
    if (text.empty())
        return std::nullopt;
    double ms = 0;
    bool first = true;
    while (!text.empty()) {
        const std::optional<double> number = read_number(text);
        if (!number)
            return std::nullopt;
        if (first && text.empty()) { // a bare number: seconds
            ms = *number * 1e3;
            break;
        }
        const std::optional<double> unit_ms = read_unit(text);
        if (!unit_ms)
            return std::nullopt;
        ms += *number * *unit_ms;
        first = false;
    }
    if (!std::isfinite(ms) || ms > 1e15)
        return std::nullopt;
    return std::chrono::milliseconds(std::llround(ms));
}

DGRID_DECL void read_response_info(const response_reader& response, response_info& info) {
    using namespace response_metadata;
    info.http_status = response.status();
    info.request_id = std::string(response[response_field::request_id]);
    rate_limits& limits = info.rate_limits;
    limits.limit_requests = read_count(response[response_field::limit_requests]);
    limits.remaining_requests = read_count(response[response_field::remaining_requests]);
    limits.reset_requests = parse_reset_duration(response[response_field::reset_requests]);
    limits.limit_tokens = read_count(response[response_field::limit_tokens]);
    limits.remaining_tokens = read_count(response[response_field::remaining_tokens]);
    limits.reset_tokens = parse_reset_duration(response[response_field::reset_tokens]);
    info.headers = response.user_fields();
}

} // namespace dgrid::detail

#endif
