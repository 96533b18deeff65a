#ifndef DGRID_DETAIL_JSON_HEX_DIGIT_HPP
#define DGRID_DETAIL_JSON_HEX_DIGIT_HPP

// Internal: the value of one hexadecimal digit, for chunk sizes and JSON's
// \u escapes.

namespace dgrid::detail {

// 0-15, or -1 when `c` is not a hex digit (either case).
inline int hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace dgrid::detail

#endif
