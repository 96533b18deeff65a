#ifndef DGRID_DETAIL_JSON_REQUEST_WRITER_HPP
#define DGRID_DETAIL_JSON_REQUEST_WRITER_HPP

// Internal: JSON text written straight from typed values, without a JSON
// tree: the body of a chat request, and a completion (a batch's output). The
// text is what `serialize(to_json(x))` gives, byte for byte (members in the
// same order, `extra` members replacing typed ones in place and following
// them otherwise, strings escaped and numbers formatted as Boost.JSON's
// serializer does).

#include <dgrid/chat_completion.hpp>
#include <dgrid/chat_request.hpp>
#include <dgrid/detail/config.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace dgrid::detail {

// `stream`, when given, is written in place of `request.stream`; when true,
// `"stream_options":{"include_usage":true}` follows the members of `extra`,
// unless `extra` sets `stream_options` (what the client sends for a stream,
// written from the caller's request, which is not copied).
DGRID_DECL std::string request_json(const chat_request& request, std::optional<bool> stream = std::nullopt);

// Appends `s` as a JSON string, quoted and escaped.
DGRID_DECL void append_json_string(std::string& out, std::string_view s);

// Appends `serialize(to_json(completion))` to `out`.
DGRID_DECL void append_completion_json(std::string& out, const chat_completion& completion);

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/json/request_writer.ipp>
#endif

#endif
