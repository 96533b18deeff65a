#include "emulator/utf16_escapes.hpp"

#include <cstdint>
#include <cstdio>

namespace dgrid::emulator {
namespace {

// The code points of well-formed UTF-8 `text`, as UTF-16 code units.
std::vector<std::uint16_t> to_utf16(std::string_view text) {
    std::vector<std::uint16_t> units;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        std::uint32_t cp = length == 1 ? lead : lead & (0xFFu >> (length + 1));
        for (std::size_t k = 1; k < length && i + k < text.size(); ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
        if (cp >= 0x10000) {
            units.push_back(static_cast<std::uint16_t>(0xD800 + ((cp - 0x10000) >> 10)));
            units.push_back(static_cast<std::uint16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
        } else {
            units.push_back(static_cast<std::uint16_t>(cp));
        }
        i += length;
    }
    return units;
}

void append_unit(std::string& out, std::uint16_t unit) {
    if (unit >= 0x20 && unit < 0x7F && unit != '"' && unit != '\\') {
        out.push_back(static_cast<char>(unit));
        return;
    }
    char escape[7];
    std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(unit));
    out += escape;
}

} // namespace

std::vector<std::string> utf16_escaped(std::string_view text, std::size_t units) {
    const std::vector<std::uint16_t> all = to_utf16(text);
    std::vector<std::string> pieces;
    const std::size_t step = units == 0 ? all.size() : units;
    for (std::size_t begin = 0; begin < all.size(); begin += step) {
        std::string& piece = pieces.emplace_back();
        for (std::size_t i = begin; i < all.size() && i < begin + step; ++i)
            append_unit(piece, all[i]);
    }
    return pieces;
}

void put_string_body(std::string& json, std::string_view body) {
    const std::size_t at = json.find(string_placeholder);
    if (at != std::string::npos)
        json.replace(at, string_placeholder.size(), "\"" + std::string(body) + "\"");
}

} // namespace dgrid::emulator
