#ifndef DGRID_DETAIL_JSON_JSON_SCANNER_IPP
#define DGRID_DETAIL_JSON_JSON_SCANNER_IPP

#include <dgrid/detail/json/json_scanner.hpp>
#include <dgrid/detail/json/json_text.hpp>
#include <dgrid/detail/json/max_json_depth.hpp>

#include <boost/json/parse.hpp>

#include <limits>

namespace dgrid::detail {

// A string with escapes is decoded into a buffer kept from document to
// document; one that grew past this (a multi-megabyte image) is not kept.
inline constexpr std::size_t max_kept_scratch = 64 * 1024;

DGRID_DECL void json_scanner::start(std::string_view text) {
    p_ = text.data();
    end_ = text.data() + text.size();
    kept_lone_surrogate_ = false;
    if (scratch_.capacity() > max_kept_scratch)
        std::string().swap(scratch_);
}

DGRID_DECL void json_scanner::skip_spaces() noexcept {
    while (p_ != end_ && json_text::is_space(*p_))
        ++p_;
}

DGRID_DECL bool json_scanner::integer(std::int64_t& to) {
    number n{};
    if (!read_number(n) || n.kind != number::kind::int64)
        return false;
    to = n.int64();
    return true;
}

// JSON's number grammar; the value when it is an integer Boost.JSON reads as
// int64 or uint64 (19 digits always fit in uint64). False as well for an
// exponent of more than 9 digits.
DGRID_DECL bool json_scanner::read_number(number& n) {
    using json_text::is_digit;
    const char* const start = p_;
    n.negative = at('-');
    if (n.negative)
        ++p_;
    if (p_ == end_ || !is_digit(*p_))
        return false;
    const char* const digits = p_;
    std::uint64_t magnitude = 0;
    if (*p_ == '0') {
        ++p_;
    } else {
        while (p_ != end_ && is_digit(*p_))
            magnitude = magnitude * 10 + static_cast<unsigned>(*p_++ - '0'); // wraps past 19 digits: `other` below
    }
    const auto digit_count = p_ - digits;
    bool integral = true;
    if (at('.')) {
        ++p_;
        if (p_ == end_ || !is_digit(*p_))
            return false;
        while (p_ != end_ && is_digit(*p_))
            ++p_;
        integral = false;
    }
    if (at('e') || at('E')) {
        ++p_;
        if (at('+') || at('-'))
            ++p_;
        if (p_ == end_ || !is_digit(*p_))
            return false;
        while (at('0'))
            ++p_;
        const char* const exponent = p_;
        while (p_ != end_ && is_digit(*p_))
            ++p_;
        // Boost.JSON fails on an exponent that overflows an int once the
        // mantissa's digits are counted in: the tree decides those.
        if (p_ - exponent > 9)
            return false;
        integral = false;
    }
    n.text = std::string_view(start, static_cast<std::size_t>(p_ - start));
    n.magnitude = magnitude;
    constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!integral || digit_count > 19 || (n.negative && (magnitude == 0 || magnitude > int64_max + 1)))
        n.kind = number::kind::other;
    else if (n.negative || magnitude <= int64_max)
        n.kind = number::kind::int64;
    else
        n.kind = number::kind::uint64;
    return true;
}

// A value nobody reads, checked as the tree parser would check it; `depth`
// is its nesting, which must stay below the tree parser's limit.
DGRID_DECL bool json_scanner::skip_value(std::size_t depth) {
    if (p_ == end_ || depth >= max_json_depth)
        return false;
    switch (*p_) {
    case '"': {
        std::string_view ignored;
        return string(ignored);
    }
    case '{': return members([&](std::string_view) { return skip_value(depth + 1); });
    case '[': return elements([&] { return skip_value(depth + 1); });
    case 'n': return literal("null");
    case 't': return literal("true");
    case 'f': return literal("false");
    default: {
        number ignored{};
        return read_number(ignored);
    }
    }
}

// A string, `p_` at its opening quote. The value is a view of the text when it
// has no escape, else of `scratch_`. Most strings are plain ASCII and end at
// the first byte that is not plain; the rest goes on in `string_tail`.
DGRID_DECL bool json_scanner::string(std::string_view& out) {
    const char* const start = ++p_;
    p_ = json_text::plain_run_end(p_, end_);
    if (at('"')) {
        out = std::string_view(start, static_cast<std::size_t>(p_++ - start));
        return true;
    }
    return string_tail(start, out);
}

DGRID_DECL bool json_scanner::string_tail(const char* run, std::string_view& out) {
    bool escaped = false; // scratch_ holds the string up to `run`
    for (;;) {
        if (p_ == end_)
            return false;
        const auto c = static_cast<unsigned char>(*p_);
        if (c == '"') {
            if (escaped) {
                scratch_.append(run, p_);
                out = scratch_;
            } else {
                out = std::string_view(run, static_cast<std::size_t>(p_ - run));
            }
            ++p_;
            return true;
        }
        if (c == '\\') {
            if (!escaped)
                scratch_.clear();
            escaped = true;
            scratch_.append(run, p_);
            if (!escape())
                return false;
            run = p_;
        } else if (c < 0x20) {
            return false;
        } else {
            const std::size_t n = json_text::utf8_sequence_length(p_, end_);
            if (n == 0)
                return false;
            p_ += n;
        }
        p_ = json_text::plain_run_end(p_, end_);
    }
}

// An escape, `p_` at its backslash, appended to scratch_ decoded. A \u escape
// of a high surrogate followed by one of a low surrogate is one character;
// a surrogate without its partner is U+FFFD, or kept (see `string`).
DGRID_DECL bool json_scanner::escape() {
    ++p_;
    if (p_ == end_)
        return false;
    switch (*p_++) {
    case '"': scratch_.push_back('"'); return true;
    case '\\': scratch_.push_back('\\'); return true;
    case '/': scratch_.push_back('/'); return true;
    case 'b': scratch_.push_back('\b'); return true;
    case 'f': scratch_.push_back('\f'); return true;
    case 'n': scratch_.push_back('\n'); return true;
    case 'r': scratch_.push_back('\r'); return true;
    case 't': scratch_.push_back('\t'); return true;
    case 'u': break;
    default: return false;
    }
    std::uint32_t cp = 0;
    if (end_ - p_ < 4 || !json_text::hex4(p_, cp))
        return false;
    p_ += 4;
    if (!json_text::is_surrogate(cp)) {
        json_text::append_utf8(scratch_, cp);
        return true;
    }
    std::uint32_t low = 0;
    if (json_text::is_high_surrogate(cp) && json_text::low_surrogate_escape_at(p_, end_, low)) {
        p_ += 6;
        json_text::append_utf8(scratch_, json_text::join_surrogates(cp, low));
    } else if (keep_lone_surrogates_) {
        json_text::append_utf8(scratch_, cp);
        kept_lone_surrogate_ = true;
    } else {
        json_text::append_utf8(scratch_, json_text::replacement_character);
    }
    return true;
}

// Strings and scalars are made here; containers and numbers that are not
// plain integers are parsed by Boost.JSON itself, so that they are the tree's.
DGRID_DECL bool json_scanner::any_value(std::size_t depth, boost::json::value& out) {
    switch (*p_) {
    case '"': {
        std::string_view v;
        if (!string(v))
            return false;
        out = boost::json::string_view(v.data(), v.size());
        return true;
    }
    case 'n': out = nullptr; return literal("null");
    case 't': out = true; return literal("true");
    case 'f': out = false; return literal("false");
    case '{':
    case '[': {
        const char* const start = p_;
        if (!skip_value(depth))
            return false;
        // Empty ones (`"annotations":[]`) are common and need no parser.
        const char* inside = start + 1;
        while (json_text::is_space(*inside))
            ++inside;
        if (inside + 1 == p_) {
            if (*start == '[')
                out.emplace_array();
            else
                out.emplace_object();
            return true;
        }
        boost::json::parse_options options;
        options.max_depth = max_json_depth;
        boost::system::error_code ec;
        out =
            boost::json::parse(boost::json::string_view(start, static_cast<std::size_t>(p_ - start)), ec, {}, options);
        return !ec;
    }
    default: {
        number n{};
        if (!read_number(n))
            return false;
        switch (n.kind) {
        case number::kind::int64: out = n.int64(); return true;
        case number::kind::uint64: out = n.magnitude; return true;
        case number::kind::other: {
            boost::system::error_code ec;
            out = boost::json::parse(boost::json::string_view(n.text.data(), n.text.size()), ec);
            return !ec;
        }
        }
        return false;
    }
    }
}

} // namespace dgrid::detail

#endif
