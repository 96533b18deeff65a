#ifndef DGRID_EMULATOR_UTF16_ESCAPES_HPP
#define DGRID_EMULATOR_UTF16_ESCAPES_HPP

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dgrid::emulator {

/// `text` (UTF-8) as the bodies of JSON strings that write every character
/// outside printable ASCII as a `\u` escape (one beyond U+FFFF as its two
/// surrogates), as servers that count in UTF-16 write them. Cut every `units`
/// UTF-16 code units (0: not cut), so that a cut may fall between the two
/// surrogates of one character, as it does on servers that slice a reply
/// every N code units.
std::vector<std::string> utf16_escaped(std::string_view text, std::size_t units);

/// The escape of a high surrogate without its low half, which the
/// `lone-surrogate` fault appends to a reply's content.
inline constexpr std::string_view lone_high_surrogate = "\\ud83d";

/// The string value "\x01", as Boost.JSON serializes it: a placeholder for a
/// string whose text is written by hand, with `put_string_body`.
inline constexpr std::string_view string_placeholder = "\"\\u0001\"";

/// Replaces the first `string_placeholder` in `json` with a string of `body`.
void put_string_body(std::string& json, std::string_view body);

} // namespace dgrid::emulator

#endif
