#ifndef DGRID_DETAIL_JSON_REQUEST_WRITER_HPP
#define DGRID_DETAIL_JSON_REQUEST_WRITER_HPP

// Internal: the body of a chat request written straight from the typed
// request, without a JSON tree: the text `serialize(to_json(request))` gives,
// byte for byte (members in the same order, `extra` members replacing typed
// ones in place and following them otherwise, strings escaped and numbers
// formatted as Boost.JSON's serializer does).

#include <dgrid/chat_request.hpp>
#include <dgrid/detail/config.hpp>

#include <string>

namespace dgrid::detail {

DGRID_DECL std::string request_json(const chat_request& request);

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/json/request_writer.ipp>
#endif

#endif
