#ifndef DGRID_DETAIL_ENGINE_RETRY_RULES_IPP
#define DGRID_DETAIL_ENGINE_RETRY_RULES_IPP

#include <dgrid/detail/engine/retry_rules.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace dgrid::detail {

DGRID_DECL bool is_retryable(error_code ec, const diagnostics& diag) noexcept {
    if (!ec)
        return false;
    if (diag.should_retry)
        return *diag.should_retry;
    if (ec.category() == error_category()) {
        switch (static_cast<error>(ec.value())) {
        case error::request_timeout:
        case error::conflict:
        case error::rate_limited:
        case error::internal_server_error:
        case error::bad_gateway:
        case error::service_unavailable:
        case error::gateway_timeout:
        case error::connect_timeout:
        case error::headers_timeout:
        case error::stream_idle_timeout:
        case error::total_timeout:
        case error::stream_truncated:
        case error::stream_error: return true;
        case error::unexpected_status: return diag.http_status >= 500;
        default: return false;
        }
    }
    namespace aerr = boost::asio::error;
    namespace http = boost::beast::http;
    // A cancelled operation is never retried; nor are TLS failures (a
    // certificate that does not verify will not verify the next time), except
    // a connection cut without close_notify. Compared by name, so that this
    // light unit needs no OpenSSL headers.
    std::string_view category = ec.category().name();
    if (ec == aerr::operation_aborted || category == "asio.ssl")
        return false;
    if (category == "asio.ssl.stream")
        return true;
    if (ec.category() == make_error_code(http::error::end_of_stream).category())
        return ec == http::error::end_of_stream || ec == http::error::partial_message;
    if (ec.category() == aerr::get_netdb_category())
        return ec == aerr::host_not_found_try_again;
    return ec == aerr::eof || ec == aerr::connection_reset || ec == aerr::connection_refused ||
           ec == aerr::connection_aborted || ec == aerr::broken_pipe || ec == aerr::timed_out ||
           ec == aerr::network_unreachable || ec == aerr::host_unreachable || ec == aerr::network_down ||
           ec == aerr::network_reset || ec == aerr::not_connected || ec == aerr::try_again;
}

DGRID_DECL std::chrono::milliseconds retry_delay(const retry_policy& policy, unsigned retry, const diagnostics& diag,
                                                 double random01) noexcept {
    if (diag.retry_after && *diag.retry_after <= policy.max_retry_after)
        return *diag.retry_after;
    auto backoff = policy.initial_backoff;
    for (unsigned i = 0; i < retry && backoff < policy.max_backoff; ++i)
        backoff *= 2;
    backoff = std::min(backoff, policy.max_backoff);
    double share = 1.0 - std::clamp(policy.jitter, 0.0, 1.0) * std::clamp(random01, 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(backoff.count()) * share));
}

inline std::optional<double> read_retry_number(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0)
        return std::nullopt;
    return value;
}

inline bool read_digits(std::string_view text, int& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

DGRID_DECL std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
    // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions.
    if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
        text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT")
        return std::nullopt;
    constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    auto month = std::find(months.begin(), months.end(), text.substr(8, 3));
    int day = 0, year = 0, hour = 0, minute = 0, second = 0;
    if (month == months.end() || !read_digits(text.substr(5, 2), day) || !read_digits(text.substr(12, 4), year) ||
        !read_digits(text.substr(17, 2), hour) || !read_digits(text.substr(20, 2), minute) ||
        !read_digits(text.substr(23, 2), second) || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    using namespace std::chrono;
    year_month_day date{std::chrono::year(year), std::chrono::month(unsigned(month - months.begin() + 1)),
                        std::chrono::day(unsigned(day))};
    if (!date.ok())
        return std::nullopt;
    return sys_days(date) + hours(hour) + minutes(minute) + seconds(second);
}

DGRID_DECL std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view retry_after_ms,
                                                                      std::string_view retry_after,
                                                                      std::chrono::system_clock::time_point now) {
    using std::chrono::milliseconds;
    // Beyond a day the number is nonsense; it also keeps the conversion in range.
    constexpr double max_ms = 86'400'000;
    if (auto ms = read_retry_number(retry_after_ms); ms && *ms <= max_ms)
        return milliseconds(static_cast<std::int64_t>(*ms));
    if (auto s = read_retry_number(retry_after); s && *s * 1000 <= max_ms)
        return milliseconds(static_cast<std::int64_t>(*s * 1000));
    if (auto date = parse_http_date(retry_after)) {
        auto wait = std::chrono::duration_cast<milliseconds>(*date - now);
        return std::clamp(wait, milliseconds(0), milliseconds(static_cast<std::int64_t>(max_ms)));
    }
    return std::nullopt;
}

DGRID_DECL void retry_budget::advance(clock::time_point now) {
    auto half = policy_.budget_window / 2;
    if (now - current_start_ < half)
        return;
    if (now - current_start_ < 2 * half) {
        requests_[1] = requests_[0];
        retries_[1] = retries_[0];
    } else {
        requests_[1] = retries_[1] = 0;
    }
    requests_[0] = retries_[0] = 0;
    current_start_ = now;
}

DGRID_DECL void retry_budget::on_request(clock::time_point now) {
    std::lock_guard lock(mutex_);
    advance(now);
    ++requests_[0];
}

DGRID_DECL bool retry_budget::try_retry(clock::time_point now) {
    std::lock_guard lock(mutex_);
    advance(now);
    double allowed = static_cast<double>(policy_.budget_min_retries) +
                     policy_.budget_ratio * static_cast<double>(requests_[0] + requests_[1]);
    if (static_cast<double>(retries_[0] + retries_[1]) + 1 > allowed)
        return false;
    ++retries_[0];
    return true;
}

} // namespace dgrid::detail

#endif
