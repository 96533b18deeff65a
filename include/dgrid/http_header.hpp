#ifndef DGRID_HTTP_HEADER_HPP
#define DGRID_HTTP_HEADER_HPP

#include <string>

namespace dgrid {

/// An HTTP header added to requests. Names and values holding CR, LF, NUL or
/// other control characters are refused before anything is sent.
struct http_header {
    /// Equal when every member is.
    bool operator==(const http_header&) const = default;

    std::string name;  ///< The field name, e.g. "X-Title".
    std::string value; ///< The field value.
};

} // namespace dgrid

#endif
