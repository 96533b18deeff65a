#ifndef DGRID_BASE64_HPP
#define DGRID_BASE64_HPP

#include <dgrid/detail/config.hpp>

#include <string>
#include <string_view>

namespace dgrid {

/// Encodes `bytes` in base64 (RFC 4648, standard alphabet `A-Z a-z 0-9 + /`)
/// with `=` padding and without line breaks.
DGRID_DECL std::string base64_encode(std::string_view bytes);

/// Decodes base64 `text` (RFC 4648, standard alphabet) into `out`, replacing
/// its contents. Returns false, with `out` empty, when `text` is not base64.
///
/// Accepted: `=` padding or none at all (`"YQ"` and `"YQ=="` both give "a");
/// ASCII whitespace (space, tab, CR, LF, FF, VT) anywhere, skipped, so that
/// line-wrapped MIME or `base64` tool output decodes (the common unwrapped
/// input takes a faster path that makes no copy); non-zero unused bits in the
/// last character, ignored.
/// Rejected: any other character (including the URL-safe `-` and `_`), `=`
/// anywhere but at the end, more than two `=`, padding that does not complete
/// a group of four, and a length that leaves one lone character.
///
/// Only allocation failure throws (`std::bad_alloc`).
DGRID_DECL bool base64_decode(std::string_view text, std::string& out);

} // namespace dgrid

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/base64.ipp>
#endif

#endif
