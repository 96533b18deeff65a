#ifndef DGRID_DETAIL_JSON_LONE_SURROGATES_IPP
#define DGRID_DETAIL_JSON_LONE_SURROGATES_IPP

#include <dgrid/detail/json/json_text.hpp>
#include <dgrid/detail/json/lone_surrogates.hpp>
#include <dgrid/detail/json/max_json_depth.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <cstdint>
#include <vector>

namespace dgrid::detail {
namespace lone_surrogates {

// One open object or array on the way to a string, with the raw text of the
// last key read in an object.
struct level {
    bool object = false;
    std::string_view key;
};

// Whether a string value under `path` is free text of a chunk:
// choices[].delta.{content,reasoning_content,reasoning} or
// choices[].delta.tool_calls[].function.arguments.
inline bool is_chunk_free_text(const std::vector<level>& path) {
    const auto key_at = [&](std::size_t i, std::string_view key) { return path[i].object && path[i].key == key; };
    if (path.size() < 4 || !key_at(0, "choices") || path[1].object || !key_at(2, "delta"))
        return false;
    if (path.size() == 4)
        return key_at(3, "content") || key_at(3, "reasoning_content") || key_at(3, "reasoning");
    return path.size() == 7 && key_at(3, "tool_calls") && !path[4].object && key_at(5, "function") &&
           key_at(6, "arguments");
}

// Copies the string at `p` (its opening quote) to `out`, its lone surrogate
// escapes rewritten; `p` ends past the closing quote. False on invalid UTF-8
// or a string cut short.
inline bool rewrite_string(const char*& p, const char* end, bool keep, std::string& out, bool& found) {
    using namespace json_text;
    out.push_back(*p++);
    for (;;) {
        if (p == end)
            return false;
        const auto b = static_cast<unsigned char>(*p);
        if (b == '"') {
            out.push_back(*p++);
            return true;
        }
        if (b >= 0x80) {
            const std::size_t n = utf8_sequence_length(p, end);
            if (n == 0)
                return false;
            out.append(p, n);
            p += n;
            continue;
        }
        if (b != '\\' || end - p < 2 || p[1] != 'u') {
            const std::size_t n = b == '\\' && end - p >= 2 ? 2 : 1; // an escape is copied whole
            out.append(p, n);
            p += n;
            continue;
        }
        std::uint32_t unit = 0;
        std::uint32_t low = 0;
        if (end - p < 6 || !hex4(p + 2, unit))
            return false;
        std::size_t size = 6;
        if (is_high_surrogate(unit) && low_surrogate_escape_at(p + 6, end, low))
            size = 12; // a pair
        if (size == 12 || !is_surrogate(unit)) {
            out.append(p, size);
        } else {
            found = true;
            if (keep)
                append_utf8(out, unit);
            else
                out.append("\\ufffd");
        }
        p += size;
    }
}

} // namespace lone_surrogates

DGRID_DECL bool rewrite_lone_surrogates(std::string_view json, lone_surrogate_rule rule, std::string& out) {
    using lone_surrogates::level;
    out.clear();
    out.reserve(json.size());
    std::vector<level> path;
    bool expect_key = false;
    bool found = false;
    const char* p = json.data();
    const char* const end = p + json.size();
    while (p != end) {
        const char c = *p;
        if (c == '"') {
            const bool is_key = expect_key;
            const bool keep = !is_key && rule == lone_surrogate_rule::keep_in_chunk_free_text &&
                              lone_surrogates::is_chunk_free_text(path);
            const char* const start = p + 1;
            if (!lone_surrogates::rewrite_string(p, end, keep, out, found))
                return false;
            if (is_key) {
                path.back().key = std::string_view(start, static_cast<std::size_t>(p - 1 - start));
                expect_key = false;
            }
            continue;
        }
        switch (c) {
        case '{':
        case '[':
            if (path.size() == max_json_depth)
                return false;
            path.push_back({c == '{', {}});
            expect_key = c == '{';
            break;
        case '}':
        case ']':
            if (path.empty())
                return false;
            path.pop_back();
            expect_key = false;
            break;
        case ',': expect_key = !path.empty() && path.back().object; break;
        default: break;
        }
        out.push_back(c);
        ++p;
    }
    return found;
}

inline boost::json::parse_options tree_parse_options() {
    boost::json::parse_options options;
    options.max_depth = max_json_depth;
    return options;
}

DGRID_DECL boost::json::value parse_json_tree(std::string_view text, boost::json::storage_ptr sp,
                                              lone_surrogate_rule rule, error_code& ec) {
    boost::json::value v = boost::json::parse(text, ec, sp, tree_parse_options());
    if (ec)
        return reparse_lone_surrogates(text, std::move(sp), rule, ec);
    return v;
}

DGRID_DECL boost::json::value reparse_lone_surrogates(std::string_view text, boost::json::storage_ptr sp,
                                                      lone_surrogate_rule rule, error_code& ec) {
    std::string rewritten;
    if (!rewrite_lone_surrogates(text, rule, rewritten))
        return boost::json::value(std::move(sp));
    // The rewrite checked every string's UTF-8: the only sequences the parser
    // must let through are the surrogates it kept.
    boost::json::parse_options options = tree_parse_options();
    options.allow_invalid_utf8 = rule == lone_surrogate_rule::keep_in_chunk_free_text;
    error_code again;
    boost::json::value v = boost::json::parse(rewritten, again, std::move(sp), options);
    if (!again)
        ec = {};
    return v;
}

} // namespace dgrid::detail

#endif
