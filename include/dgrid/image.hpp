#ifndef DGRID_IMAGE_HPP
#define DGRID_IMAGE_HPP

#include <dgrid/chat_completion.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/error.hpp>
#include <dgrid/message.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace dgrid {

/// An image embedded in markdown text as a base64 data URI, as image models
/// behind DGrid return it: `![generated image](data:image/png;base64,iVBOR...)`.
/// The views point into the text that was searched, which must outlive them.
struct embedded_image {
    /// The alt text between `![` and `]`, as written (escapes not undone).
    std::string_view alt;
    /// The media type of the data URI, `type/subtype` as written (e.g. "image/png").
    std::string_view mime_type;
    /// The base64 payload after `;base64,`; not yet validated.
    std::string_view base64;
};

/// Finds the markdown images in `markdown` whose destination is a base64 data
/// URI, in the order their closing parentheses appear.
///
/// Recognized: `![alt](data:<type>/<subtype>[;param=value]*;base64,<payload>)`
/// where the alt text may hold balanced brackets and backslash escapes, the
/// destination may be wrapped in `<...>`, and whitespace and a `"title"` or
/// `'title'` may stand around it (all as in CommonMark). `base64` is matched
/// case-insensitively. Ignored: images with other URLs (`https:` and so on),
/// data URIs that are not base64 (`data:image/svg+xml,<svg...`), links without
/// `!`, and a media type that is not `type/subtype`. The payload ends at
/// whitespace or a bracket, parenthesis or angle bracket; its characters are
/// checked only by `decode_image`, so a corrupted payload is reported rather
/// than silently skipped.
///
/// Linear in the size of the text whatever it holds (unclosed `![`, deep
/// brackets, unclosed titles), so it is safe on hostile or truncated output.
DGRID_DECL std::vector<embedded_image> find_images(std::string_view markdown);

/// A decoded image.
struct image {
    /// Equal when every member is.
    bool operator==(const image&) const = default;

    /// The media type, lowercased (e.g. "image/png").
    std::string mime_type;
    /// The raw image bytes (for a PNG, starting with "\x89PNG\r\n\x1a\n").
    std::string bytes;
};

/// Decodes the payload of `found` (see `base64_decode`) into `out`. Returns
/// `error::malformed_response`, with `out` cleared, when the payload is not
/// valid base64 or is empty.
DGRID_DECL error_code decode_image(const embedded_image& found, image& out);

/// Decodes every data-URI image of a message: the markdown images in its text
/// (the content string, or each text part), and the `image_url` parts whose
/// URL is a base64 data URI. In content order. On a payload that does not
/// decode, `ec` is `error::malformed_response` and the result holds the
/// images before it; otherwise `ec` is cleared.
DGRID_DECL std::vector<image> extract_images(const message& m, error_code& ec);

/// `extract_images` over the messages of all choices, in choice order.
DGRID_DECL std::vector<image> extract_images(const chat_completion& c, error_code& ec);

} // namespace dgrid

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/image.ipp>
#endif

#endif
