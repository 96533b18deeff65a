#include "emulator/go_duration.hpp"

#include <cstdint>

namespace dgrid::emulator {

std::string to_go_duration(std::chrono::milliseconds duration) {
    const std::int64_t ms = duration.count();
    if (ms <= 0) {
        return "0s";
    }
    if (ms < 1000) {
        return std::to_string(ms) + "ms";
    }
    const std::int64_t hours = ms / 3'600'000;
    const std::int64_t minutes = ms / 60'000 % 60;
    const std::int64_t seconds = ms / 1000 % 60;
    const std::int64_t fraction = ms % 1000;
    std::string text;
    if (hours > 0) {
        text += std::to_string(hours) + "h";
    }
    if (hours > 0 || minutes > 0) {
        text += std::to_string(minutes) + "m";
    }
    text += std::to_string(seconds);
    if (fraction > 0) {
        // Three digits with their leading zeros (1000 + 5 gives "005"), less the trailing ones.
        std::string digits = std::to_string(1000 + fraction).substr(1);
        digits.erase(digits.find_last_not_of('0') + 1);
        text += "." + digits;
    }
    return text + "s";
}

} // namespace dgrid::emulator
