#ifndef DGRID_DETAIL_JSON_LONE_SURROGATES_HPP
#define DGRID_DETAIL_JSON_LONE_SURROGATES_HPP

// Internal: JSON strings with `\u` escapes of lone UTF-16 surrogates. Some
// servers slice a reply every N UTF-16 code units, so that an emoji's two
// escapes end one event (`"...\ud83d"`) and start the next (`"\ude00..."`).
// Boost.JSON refuses such a string; the readers take it instead:
// - in the free text of a stream's chunk (a delta's `content`,
//   `reasoning_content` or `reasoning`, a tool call's `arguments`), whose
//   other half may come in the next chunk, a lone surrogate is kept as its own
//   three bytes (the WTF-8 form), for surrogate_mender to join or replace;
// - everywhere else (keys, other members, `extra`, whole completions) it is
//   U+FFFD.
// json_scanner applies the same rules when it reads a string.

#include <dgrid/detail/config.hpp>
#include <dgrid/error.hpp>

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace dgrid::detail {

enum class lone_surrogate_rule {
    replace,                ///< every lone surrogate is U+FFFD
    keep_in_chunk_free_text ///< kept (WTF-8) in a chunk's free text, U+FFFD elsewhere
};

// Rewrites `json` into `out` with each lone surrogate escape replaced by the
// escape of U+FFFD or, where `rule` keeps it, by its raw three bytes (which
// Boost.JSON then reads with `allow_invalid_utf8`). False when there is none,
// or when a string holds invalid UTF-8 or the text is cut inside a string:
// the parser's own error then stands.
DGRID_DECL bool rewrite_lone_surrogates(std::string_view json, lone_surrogate_rule rule, std::string& out);

// Parses `text` into a tree in `sp` as every reader of the library does:
// nesting limited to max_json_depth, and lone surrogates read under `rule`.
// `ec` is set on text that is not JSON.
DGRID_DECL boost::json::value parse_json_tree(std::string_view text, boost::json::storage_ptr sp,
                                              lone_surrogate_rule rule, error_code& ec);

// After a parse of `text` failed with `ec`: when the text has lone
// surrogates, parses it rewritten, clearing `ec` if that succeeds.
DGRID_DECL boost::json::value reparse_lone_surrogates(std::string_view text, boost::json::storage_ptr sp,
                                                      lone_surrogate_rule rule, error_code& ec);

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/json/lone_surrogates.ipp>
#endif

#endif
