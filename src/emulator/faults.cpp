#include "emulator/faults.hpp"

#include <charconv>
#include <stdexcept>

namespace dgrid::emulator {
namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t");
    return s.substr(first, last - first + 1);
}

std::uint64_t parse_number(std::string_view item, std::string_view digits) {
    std::uint64_t value = 0;
    const auto* end = digits.data() + digits.size();
    const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
    if (digits.empty() || ec != std::errc{} || ptr != end) {
        throw std::invalid_argument("malformed X-Emulator-Fault item '" + std::string(item) + "'");
    }
    return value;
}

} // namespace

error_body fault_plan::body_for(unsigned error_status) const noexcept {
    if (body) {
        return *body;
    }
    // A 502 comes from a proxy in front of the gateway, which answers in HTML.
    return status && *status == 502 && error_status == 502 ? error_body::html : error_body::json;
}

fault_plan parse_faults(std::string_view header) {
    fault_plan plan;
    std::string_view rest = header;
    while (!rest.empty()) {
        const auto separator = rest.find_first_of(",;");
        const std::string_view item = trim(rest.substr(0, separator));
        rest = separator == std::string_view::npos ? std::string_view{} : rest.substr(separator + 1);
        if (item.empty()) {
            continue;
        }
        const auto equals = item.find('=');
        const std::string_view name = trim(item.substr(0, equals));
        const std::string_view value =
            equals == std::string_view::npos ? std::string_view{} : trim(item.substr(equals + 1));
        const bool has_value = equals != std::string_view::npos;

        if (name == "status" && has_value) {
            const auto status = parse_number(item, value);
            if (status < 400 || status > 599) {
                throw std::invalid_argument("X-Emulator-Fault status must be 400-599, got '" + std::string(item) + "'");
            }
            plan.status = static_cast<unsigned>(status);
        } else if (name == "code" && value == "number") {
            plan.code_as_number = true;
        } else if (name == "should-retry" && (value == "true" || value == "false")) {
            plan.should_retry = std::string(value);
        } else if (name == "html" && !has_value) {
            plan.body = error_body::html;
        } else if (name == "empty-body" && !has_value) {
            plan.body = error_body::empty;
        } else if (name == "express" && !has_value) {
            plan.body = error_body::express;
        } else if (name == "error-in-200" && !has_value) {
            plan.error_in_200 = true;
        } else if (name == "lone-surrogate" && !has_value) {
            plan.lone_surrogate = true;
        } else if (name == "error-choices" && !has_value) {
            plan.error_choices = true;
        } else if (name == "no-done" && !has_value) {
            plan.no_done = true;
        } else if (name == "utf16-split" && has_value) {
            plan.utf16_split = parse_number(item, value);
            if (*plan.utf16_split == 0)
                throw std::invalid_argument("X-Emulator-Fault utf16-split must be at least 1, got '" +
                                            std::string(item) + "'");
        } else if (name == "reset-before-headers" && !has_value) {
            plan.reset_before_headers = true;
        } else if (name == "reset-mid-body" && !has_value) {
            plan.reset_mid_body = true;
        } else if (name == "stall" && has_value) {
            plan.stall = std::chrono::milliseconds(parse_number(item, value));
        } else if (name == "close-after-response" && !has_value) {
            plan.close_after_response = true;
        } else if (name == "byte-at-a-time" && !has_value) {
            plan.byte_at_a_time = true;
        } else if (name == "fail-times" && has_value) {
            plan.fail_times = parse_number(item, value);
        } else if (name == "stream-error" && has_value) {
            plan.stream_error = parse_number(item, value);
        } else if (name == "stream-cut" && has_value) {
            plan.stream_cut = parse_number(item, value);
        } else if (name == "stream-reset" && has_value) {
            plan.stream_reset = parse_number(item, value);
        } else if (name == "stall-stream" && has_value) {
            plan.stall_stream = std::chrono::milliseconds(parse_number(item, value));
        } else if (name == "keepalive" && !has_value) {
            plan.keepalive = true;
        } else if (name == "crlf" && !has_value) {
            plan.crlf = true;
        } else if (name == "multi-data" && !has_value) {
            plan.multi_data = true;
        } else if (name == "no-space" && !has_value) {
            plan.no_space = true;
        } else if (name == "framing" && value == "length") {
            plan.framing = body_framing::length;
        } else if (name == "framing" && value == "extensions") {
            plan.framing = body_framing::extensions;
        } else if (name == "framing" && value == "malformed") {
            plan.framing = body_framing::malformed;
        } else if (name == "framing" && value == "close") {
            plan.framing = body_framing::close;
        } else if (name == "id" && has_value && !value.empty()) {
            plan.group = value;
        } else {
            throw std::invalid_argument("unknown X-Emulator-Fault item '" + std::string(item) + "'");
        }
    }
    if (plan.fail_times && plan.group.empty()) {
        plan.group = header;
    }
    return plan;
}

bool fault_budget::admit(const fault_plan& plan) {
    if (!plan.fail_times) {
        return true;
    }
    const std::lock_guard lock(mutex_);
    auto& seen = seen_[plan.group];
    ++seen;
    return seen <= *plan.fail_times;
}

std::string_view random_faults::pick() {
    if (rate_ <= 0)
        return {};
    static constexpr std::string_view choices[] = {"status=500", "status=503", "reset-before-headers"};
    const std::lock_guard lock(mutex_);
    if (std::uniform_real_distribution<double>(0, 1)(engine_) >= rate_)
        return {};
    return choices[std::uniform_int_distribution<std::size_t>(0, std::size(choices) - 1)(engine_)];
}

} // namespace dgrid::emulator
