#ifndef DGRID_DETAIL_JSON_REQUEST_WRITER_HPP
#define DGRID_DETAIL_JSON_REQUEST_WRITER_HPP

// Internal: the body of a chat request written straight from the typed
// request, without a JSON tree: the text `serialize(to_json(request))` gives,
// byte for byte (members in the same order, `extra` members replacing typed
// ones in place and following them otherwise, strings escaped and numbers
// formatted as Boost.JSON's serializer does).

#include <dgrid/chat_request.hpp>
#include <dgrid/detail/config.hpp>

#include <optional>
#include <string>

namespace dgrid::detail {

// `stream`, when given, is written in place of `request.stream`; when true,
// `"stream_options":{"include_usage":true}` follows the members of `extra`,
// unless `extra` sets `stream_options` (what the client sends for a stream,
// written from the caller's request, which is not copied).
DGRID_DECL std::string request_json(const chat_request& request, std::optional<bool> stream = std::nullopt);

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/json/request_writer.ipp>
#endif

#endif
