#ifndef DGRID_IMPL_JSON_HPP
#define DGRID_IMPL_JSON_HPP

#include <dgrid/detail/max_json_depth.hpp>
#include <dgrid/json.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <string>

namespace dgrid {

template <class T>
error_code parse_json(std::string_view text, T& out, diagnostics& diag) {
    // The parsed tree lives only for this call; from_json deep-copies what it
    // keeps into the default resource, so a monotonic arena is safe and fast.
    unsigned char buffer[4096];
    boost::json::monotonic_resource arena(buffer);
    boost::json::parse_options options;
    options.max_depth = detail::max_json_depth;

    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec, &arena, options);
    if (ec) {
        diag.message = "invalid JSON: " + ec.message();
        return error::invalid_json;
    }
    return from_json(v, out, diag);
}

} // namespace dgrid

#endif
