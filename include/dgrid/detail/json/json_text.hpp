#ifndef DGRID_DETAIL_JSON_JSON_TEXT_HPP
#define DGRID_DETAIL_JSON_JSON_TEXT_HPP

// Internal: the pieces of JSON text that json_scanner scans by hand: the plain
// run of a string, UTF-8 sequences, and code points of \u escapes.

#include <dgrid/detail/json/hex_digit.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dgrid::detail::json_text {

inline bool is_space(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// A byte that a string's plain run goes on over: not the quote, not the
// backslash, not a control character, not part of a multi-byte sequence.
inline bool is_plain(char c) noexcept {
    const auto b = static_cast<unsigned char>(c);
    return b >= 0x20 && b < 0x80 && b != '"' && b != '\\';
}

// The first byte in [p, end) that is not plain, sixteen bytes at a time with
// SSE2 (x86-64's baseline): a signed comparison with 0x20 flags the control
// characters and, as negative numbers, the bytes 0x80 and above.
inline const char* plain_run_end(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i special = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)), _mm_cmplt_epi8(bytes, space));
        if (const int mask = _mm_movemask_epi8(special); mask != 0)
            return p + std::countr_zero(static_cast<unsigned>(mask));
        p += 16;
    }
#endif
    while (p != end && is_plain(*p))
        ++p;
    return p;
}

inline bool in(unsigned char b, unsigned char lo, unsigned char hi) noexcept { return b >= lo && b <= hi; }

// The length of the well-formed UTF-8 sequence (RFC 3629) of two to four
// bytes at p, or 0: no overlong forms, no surrogates, nothing above U+10FFFF.
inline std::size_t utf8_sequence_length(const char* p, const char* end) noexcept {
    const auto avail = static_cast<std::size_t>(end - p);
    auto at = [&](std::size_t i) { return static_cast<unsigned char>(p[i]); };
    const unsigned char b0 = at(0);
    if (in(b0, 0xC2, 0xDF))
        return avail >= 2 && in(at(1), 0x80, 0xBF) ? 2 : 0;
    if (in(b0, 0xE0, 0xEF)) {
        if (avail < 3)
            return 0;
        const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
        const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
        return in(at(1), lo, hi) && in(at(2), 0x80, 0xBF) ? 3 : 0;
    }
    if (in(b0, 0xF0, 0xF4)) {
        if (avail < 4)
            return 0;
        const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
        const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
        return in(at(1), lo, hi) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

// UTF-16 surrogates: a high one (D800-DBFF) and a low one (DC00-DFFF) are
// one character of the supplementary planes.
inline bool is_surrogate(std::uint32_t unit) noexcept { return unit >= 0xD800 && unit <= 0xDFFF; }
inline bool is_high_surrogate(std::uint32_t unit) noexcept { return unit >= 0xD800 && unit <= 0xDBFF; }
inline bool is_low_surrogate(std::uint32_t unit) noexcept { return unit >= 0xDC00 && unit <= 0xDFFF; }
inline std::uint32_t join_surrogates(std::uint32_t high, std::uint32_t low) noexcept {
    return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
}

// U+FFFD, what a character that cannot be decoded becomes.
inline constexpr std::uint32_t replacement_character = 0xFFFD;

// A code point as UTF-8; a surrogate comes out in the three bytes that UTF-8
// forbids for it (the WTF-8 form).
inline void append_utf8(std::string& to, std::uint32_t cp) {
    auto put = [&](std::uint32_t b) { to.push_back(static_cast<char>(b)); };
    if (cp < 0x80) {
        put(cp);
    } else if (cp < 0x800) {
        put(0xC0 | (cp >> 6));
        put(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        put(0xE0 | (cp >> 12));
        put(0x80 | ((cp >> 6) & 0x3F));
        put(0x80 | (cp & 0x3F));
    } else {
        put(0xF0 | (cp >> 18));
        put(0x80 | ((cp >> 12) & 0x3F));
        put(0x80 | ((cp >> 6) & 0x3F));
        put(0x80 | (cp & 0x3F));
    }
}

// Four hex digits at p (at least four bytes there) as a code unit; false on
// anything else.
inline bool hex4(const char* p, std::uint32_t& unit) noexcept {
    unit = 0;
    for (int i = 0; i < 4; ++i) {
        const int digit = hex_digit_value(p[i]);
        if (digit < 0)
            return false;
        unit = unit * 16 + static_cast<std::uint32_t>(digit);
    }
    return true;
}

// Whether the `\u` escape of a low surrogate starts at p (within [p, end));
// its code unit in `low`. What a high surrogate's escape needs after it.
inline bool low_surrogate_escape_at(const char* p, const char* end, std::uint32_t& low) noexcept {
    return end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, low) && is_low_surrogate(low);
}

} // namespace dgrid::detail::json_text

#endif
