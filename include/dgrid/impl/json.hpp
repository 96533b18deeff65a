#ifndef DGRID_IMPL_JSON_HPP
#define DGRID_IMPL_JSON_HPP

#include <dgrid/detail/json/lone_surrogates.hpp>
#include <dgrid/detail/json/max_json_depth.hpp>
#include <dgrid/json.hpp>

#include <boost/json/monotonic_resource.hpp>

#include <string>
#include <type_traits>

namespace dgrid {

template <class T>
error_code parse_json(std::string_view text, T& out, diagnostics& diag) {
    // The parsed tree lives only for this call; from_json deep-copies what it
    // keeps into the default resource, so a monotonic arena is safe and fast.
    unsigned char buffer[4096];
    boost::json::monotonic_resource arena(buffer);
    constexpr auto rule = std::is_same_v<T, chat_chunk> ? detail::lone_surrogate_rule::keep_in_chunk_free_text
                                                        : detail::lone_surrogate_rule::replace;
    error_code ec;
    const boost::json::value v = detail::parse_json_tree(text, &arena, rule, ec);
    if (ec) {
        diag.message = "invalid JSON: " + ec.message();
        return error::invalid_json;
    }
    return from_json(v, out, diag);
}

} // namespace dgrid

#endif
