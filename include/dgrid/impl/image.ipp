#ifndef DGRID_IMPL_IMAGE_IPP
#define DGRID_IMPL_IMAGE_IPP

#include <dgrid/base64.hpp>
#include <dgrid/image.hpp>

#include <array>
#include <cstddef>
#include <utility>
#include <variant>

namespace dgrid {
namespace detail {

inline constexpr std::size_t image_npos = std::string_view::npos;

inline bool is_markdown_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

inline char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool iequals_at(std::string_view s, std::size_t pos, std::string_view lower) noexcept {
    if (s.size() - pos < lower.size())
        return false;
    for (std::size_t i = 0; i < lower.size(); ++i)
        if (ascii_lower(s[pos + i]) != lower[i])
            return false;
    return true;
}

// restricted-name characters of RFC 6838, for the type and subtype.
inline bool is_mime_name_char(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$&^_.+-").find(c) != std::string_view::npos;
}

// RFC 2045 token characters, for media type parameters (`;charset=utf-8`).
inline bool is_token_char(char c) noexcept {
    if (c <= 0x20 || c >= 0x7F)
        return false;
    return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// Where a payload inside a markdown destination stops: whitespace, controls,
// non-ASCII and the characters that delimit destinations and titles. None of
// them is '(', so two destination scans never cover the same payload. A table,
// as payloads run to megabytes.
inline constexpr std::array<bool, 256> payload_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 0x21; c < 0x7F; ++c)
        t[c] = std::string_view("()<>[]\"'").find(static_cast<char>(c)) == std::string_view::npos;
    return t;
}();

inline bool is_payload_char(char c) noexcept { return payload_chars[static_cast<unsigned char>(c)]; }

inline std::size_t scan_while(std::string_view s, std::size_t pos, bool (*pred)(char) noexcept) noexcept {
    while (pos < s.size() && pred(s[pos]))
        ++pos;
    return pos;
}

// Parses `data:<type>/<subtype>[;name=value]*;base64,` at `pos`. Returns the
// position after the comma and sets `mime`, or npos when the text is not the
// head of a base64 data URI.
inline std::size_t parse_data_uri_head(std::string_view s, std::size_t pos, std::string_view& mime) noexcept {
    if (!iequals_at(s, pos, "data:"))
        return image_npos;
    const std::size_t type_begin = pos + 5;
    const std::size_t type_end = scan_while(s, type_begin, is_mime_name_char);
    if (type_end == type_begin || type_end == s.size() || s[type_end] != '/')
        return image_npos;
    const std::size_t sub_end = scan_while(s, type_end + 1, is_mime_name_char);
    if (sub_end == type_end + 1)
        return image_npos;
    mime = s.substr(type_begin, sub_end - type_begin);
    pos = sub_end;
    while (pos < s.size() && s[pos] == ';') {
        const std::size_t name_begin = pos + 1;
        const std::size_t name_end = scan_while(s, name_begin, is_token_char);
        if (name_end == name_begin || name_end == s.size())
            return image_npos;
        if (s[name_end] == ',')
            // "data:...;foo," without base64 is a percent-encoded data URI: not ours.
            return name_end - name_begin == 6 && iequals_at(s, name_begin, "base64") ? name_end + 1 : image_npos;
        if (s[name_end] != '=')
            return image_npos;
        const std::size_t value_end = scan_while(s, name_end + 1, is_token_char);
        if (value_end == name_end + 1)
            return image_npos;
        pos = value_end;
    }
    return image_npos; // no ";base64,": a plain (percent-encoded) data URI
}

// Finds the end of a title and the ')' after it. Titles are the only part of
// a destination that may contain '(' and so overlap a later destination: the
// answer for the last query is kept, and every query that starts between that
// query and the closing quote it found has the same answer. That keeps a text
// of many unclosed titles linear.
class title_finder {
public:
    explicit title_finder(char quote) noexcept : quote_(quote) {}

    // `from` is just after the opening quote. Returns the position after the
    // ')' that follows the title (whitespace between), or npos.
    std::size_t close(std::string_view s, std::size_t from) noexcept {
        if (!(valid_ && from >= from_ && (at_ == image_npos || from <= at_))) {
            from_ = from;
            at_ = find_quote(s, from);
            end_ = image_npos;
            if (at_ != image_npos) {
                const std::size_t p = scan_while(s, at_ + 1, is_markdown_space);
                if (p < s.size() && s[p] == ')')
                    end_ = p + 1;
            }
            valid_ = true;
        }
        return end_;
    }

private:
    // The first quote at or after `from` that no backslash escapes.
    std::size_t find_quote(std::string_view s, std::size_t from) const noexcept {
        for (std::size_t q = s.find(quote_, from); q != image_npos; q = s.find(quote_, q + 1))
            if (s[q - 1] != '\\') // q >= from >= 1: the opening quote precedes
                return q;
        return image_npos;
    }

    char quote_;
    bool valid_ = false;
    std::size_t from_ = 0;
    std::size_t at_ = 0;
    std::size_t end_ = 0;
};

// Parses a link destination starting just after `(`. On success returns the
// position after `)` and sets `mime` and `payload`; otherwise npos.
inline std::size_t parse_image_destination(std::string_view s, std::size_t pos, std::string_view& mime,
                                           std::string_view& payload, title_finder& double_quoted,
                                           title_finder& single_quoted) noexcept {
    pos = scan_while(s, pos, is_markdown_space);
    const bool angle = pos < s.size() && s[pos] == '<';
    if (angle)
        ++pos;
    pos = parse_data_uri_head(s, pos, mime);
    if (pos == image_npos)
        return image_npos;
    const std::size_t payload_begin = pos;
    pos = scan_while(s, pos, is_payload_char);
    payload = s.substr(payload_begin, pos - payload_begin);
    if (angle) {
        if (pos == s.size() || s[pos] != '>')
            return image_npos;
        ++pos;
    }
    const std::size_t before_space = pos;
    pos = scan_while(s, pos, is_markdown_space);
    if (pos == s.size())
        return image_npos;
    if (s[pos] == ')')
        return pos + 1;
    if (pos == before_space) // a title needs whitespace before it
        return image_npos;
    if (s[pos] == '"')
        return double_quoted.close(s, pos + 1);
    if (s[pos] == '\'')
        return single_quoted.close(s, pos + 1);
    return image_npos;
}

// A bare data URI, as in an `image_url` part: the payload is all the rest.
inline bool parse_bare_data_uri(std::string_view url, std::string_view& mime, std::string_view& payload) noexcept {
    const std::size_t pos = parse_data_uri_head(url, 0, mime);
    if (pos == image_npos)
        return false;
    payload = url.substr(pos);
    return true;
}

inline bool append_images(std::string_view text, std::vector<image>& images, error_code& ec) {
    for (const embedded_image& found : find_images(text)) {
        image decoded;
        ec = decode_image(found, decoded);
        if (ec)
            return false;
        images.push_back(std::move(decoded));
    }
    return true;
}

inline bool append_images(const message& m, std::vector<image>& images, error_code& ec) {
    if (!m.content)
        return true;
    if (const auto* s = std::get_if<std::string>(&*m.content))
        return append_images(*s, images, ec);
    for (const content_part& part : std::get<std::vector<content_part>>(*m.content)) {
        if (const auto* t = std::get_if<text_part>(&part)) {
            if (!append_images(t->text, images, ec))
                return false;
            continue;
        }
        embedded_image found;
        if (!parse_bare_data_uri(std::get<image_url_part>(part).url, found.mime_type, found.base64))
            continue; // an https:// URL: nothing to decode
        image decoded;
        ec = decode_image(found, decoded);
        if (ec)
            return false;
        images.push_back(std::move(decoded));
    }
    return true;
}

} // namespace detail

DGRID_DECL std::vector<embedded_image> find_images(std::string_view markdown) {
    struct opener {
        std::size_t pos;
        bool image; // preceded by an unescaped '!'
    };
    std::vector<embedded_image> found;
    std::vector<opener> openers; // unmatched '[', innermost last
    detail::title_finder double_quoted('"');
    detail::title_finder single_quoted('\'');
    const std::string_view s = markdown;
    std::size_t escaped = detail::image_npos; // position of the last backslash-escaped character
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '\\') {
            escaped = i + 1;
            i += 2;
            continue;
        }
        if (c == '[') {
            openers.push_back({i, i > 0 && s[i - 1] == '!' && escaped != i - 1});
            ++i;
            continue;
        }
        if (c == ']' && !openers.empty()) {
            const opener open = openers.back();
            openers.pop_back();
            if (open.image && i + 1 < s.size() && s[i + 1] == '(') {
                embedded_image img;
                const std::size_t end =
                    detail::parse_image_destination(s, i + 2, img.mime_type, img.base64, double_quoted, single_quoted);
                if (end != detail::image_npos) {
                    img.alt = s.substr(open.pos + 1, i - open.pos - 1);
                    found.push_back(img);
                    i = end;
                    continue;
                }
            }
        }
        ++i;
    }
    return found;
}

DGRID_DECL error_code decode_image(const embedded_image& found, image& out) {
    out.mime_type.clear();
    if (!base64_decode(found.base64, out.bytes) || out.bytes.empty()) {
        out.bytes.clear();
        return error::malformed_response;
    }
    out.mime_type.reserve(found.mime_type.size());
    for (const char c : found.mime_type)
        out.mime_type.push_back(detail::ascii_lower(c));
    return {};
}

DGRID_DECL std::vector<image> extract_images(const message& m, error_code& ec) {
    ec = {};
    std::vector<image> images;
    detail::append_images(m, images, ec);
    return images;
}

DGRID_DECL std::vector<image> extract_images(const chat_completion& c, error_code& ec) {
    ec = {};
    std::vector<image> images;
    for (const choice& ch : c.choices)
        if (!detail::append_images(ch.message, images, ec))
            break;
    return images;
}

} // namespace dgrid

#endif
