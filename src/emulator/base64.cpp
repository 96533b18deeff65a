#include "emulator/base64.hpp"

#include <cstdint>

namespace dgrid::emulator {

std::string base64_encode(std::string_view bytes) {
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                                    static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                                    static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[group >> 18 & 0x3f];
        out += alphabet[group >> 12 & 0x3f];
        out += alphabet[group >> 6 & 0x3f];
        out += alphabet[group & 0x3f];
    }
    // One or two bytes left: pad the last group so its length stays a multiple of four.
    const std::size_t rest = bytes.size() - i;
    if (rest != 0) {
        std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) {
            group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        }
        out += alphabet[group >> 18 & 0x3f];
        out += alphabet[group >> 12 & 0x3f];
        out += rest == 2 ? alphabet[group >> 6 & 0x3f] : '=';
        out += '=';
    }
    return out;
}

} // namespace dgrid::emulator
