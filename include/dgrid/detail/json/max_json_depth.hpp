#ifndef DGRID_DETAIL_JSON_MAX_JSON_DEPTH_HPP
#define DGRID_DETAIL_JSON_MAX_JSON_DEPTH_HPP

#include <cstddef>

namespace dgrid::detail {

/// How deep `parse_json` and `read_error_body` let JSON nest. Responses nest
/// about 6 levels (logprobs), requests a little more with tool schemas; the
/// limit turns hostile input (`[[[[...`) into a clean `invalid_json`.
inline constexpr std::size_t max_json_depth = 64;

} // namespace dgrid::detail

#endif
