#ifndef DGRID_IMPL_BASE64_IPP
#define DGRID_IMPL_BASE64_IPP

#include <dgrid/base64.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace dgrid {
namespace detail {

inline constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Decoding table: the 6-bit value of an alphabet character, `b64_space` for
// skippable whitespace, `b64_bad` for everything else (including '=', which
// is handled before the table is consulted). Both markers have bit 7 set, so
// one OR over a group of four tells whether the group is clean.
inline constexpr std::uint8_t b64_bad = 0xFF;
inline constexpr std::uint8_t b64_space = 0xFE;

inline constexpr std::array<std::uint8_t, 256> base64_decode_table = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t)
        v = b64_bad;
    for (std::uint8_t i = 0; i < 64; ++i)
        t[static_cast<unsigned char>(base64_alphabet[i])] = i;
    for (unsigned char c : {' ', '\t', '\r', '\n', '\f', '\v'})
        t[c] = b64_space;
    return t;
}();

enum class base64_result { ok, invalid, has_space };

// Decodes text that holds no whitespace. When it meets whitespace it reports
// `has_space` so that the caller compacts the text and tries again; keeping
// that case out of the loop keeps the loop a straight table lookup.
inline base64_result base64_decode_compact(std::string_view text, std::string& out) {
    const auto& table = base64_decode_table;
    std::size_t n = text.size();
    std::size_t pad = 0;
    while (n > 0 && text[n - 1] == '=') {
        --n;
        ++pad;
    }
    const std::size_t rem = n % 4;
    const std::size_t full = n - rem;

    // Each full group gives 3 bytes; a tail of 2 or 3 characters gives 1 or 2.
    out.resize(full / 4 * 3 + (rem == 0 ? 0 : rem - 1));
    char* dst = out.data();
    const auto* src = reinterpret_cast<const unsigned char*>(text.data());

    const auto classify_failure = [&] {
        for (const unsigned char c : text)
            if (table[c] == b64_space)
                return base64_result::has_space;
        return base64_result::invalid;
    };

    for (std::size_t i = 0; i < full; i += 4) {
        const std::uint32_t a = table[src[i]];
        const std::uint32_t b = table[src[i + 1]];
        const std::uint32_t c = table[src[i + 2]];
        const std::uint32_t d = table[src[i + 3]];
        if ((a | b | c | d) & 0x80)
            return classify_failure();
        const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        dst[0] = static_cast<char>(v >> 16);
        dst[1] = static_cast<char>((v >> 8) & 0xFF);
        dst[2] = static_cast<char>(v & 0xFF);
        dst += 3;
    }

    std::uint32_t v = 0;
    for (std::size_t i = full; i < n; ++i) {
        const std::uint32_t s = table[src[i]];
        if (s & 0x80)
            return classify_failure();
        v = (v << 6) | s;
    }
    // Lengths are checked last: whitespace would have made them meaningless.
    if (rem == 1 || pad > 2 || (pad != 0 && (n + pad) % 4 != 0))
        return base64_result::invalid;
    if (rem == 2) {
        dst[0] = static_cast<char>((v >> 4) & 0xFF);
    } else if (rem == 3) {
        dst[0] = static_cast<char>((v >> 10) & 0xFF);
        dst[1] = static_cast<char>((v >> 2) & 0xFF);
    }
    return base64_result::ok;
}

} // namespace detail

DGRID_DECL std::string base64_encode(std::string_view bytes) {
    const auto* alphabet = detail::base64_alphabet;
    std::string out;
    out.resize((bytes.size() + 2) / 3 * 4);
    char* dst = out.data();
    const auto* src = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const std::uint32_t v = (std::uint32_t(src[i]) << 16) | (std::uint32_t(src[i + 1]) << 8) | src[i + 2];
        dst[0] = alphabet[v >> 18];
        dst[1] = alphabet[(v >> 12) & 63];
        dst[2] = alphabet[(v >> 6) & 63];
        dst[3] = alphabet[v & 63];
        dst += 4;
    }
    if (n - i == 1) {
        const std::uint32_t v = std::uint32_t(src[i]) << 16;
        dst[0] = alphabet[v >> 18];
        dst[1] = alphabet[(v >> 12) & 63];
        dst[2] = '=';
        dst[3] = '=';
    } else if (n - i == 2) {
        const std::uint32_t v = (std::uint32_t(src[i]) << 16) | (std::uint32_t(src[i + 1]) << 8);
        dst[0] = alphabet[v >> 18];
        dst[1] = alphabet[(v >> 12) & 63];
        dst[2] = alphabet[(v >> 6) & 63];
        dst[3] = '=';
    }
    return out;
}

DGRID_DECL bool base64_decode(std::string_view text, std::string& out) {
    auto result = detail::base64_decode_compact(text, out);
    if (result == detail::base64_result::has_space) {
        std::string compact;
        compact.reserve(text.size());
        for (const char c : text)
            if (detail::base64_decode_table[static_cast<unsigned char>(c)] != detail::b64_space)
                compact.push_back(c);
        result = detail::base64_decode_compact(compact, out);
    }
    if (result != detail::base64_result::ok) {
        out.clear();
        return false;
    }
    return true;
}

} // namespace dgrid

#endif
