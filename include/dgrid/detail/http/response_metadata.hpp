#ifndef DGRID_DETAIL_HTTP_RESPONSE_METADATA_HPP
#define DGRID_DETAIL_HTTP_RESPONSE_METADATA_HPP

// Internal: what a response's head says besides its status line, for the
// caller's response_info.

#include <dgrid/detail/config.hpp>
#include <dgrid/detail/http/response_reader.hpp>
#include <dgrid/response_info.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace dgrid::detail {

// A rate limit's reset as OpenAI writes it, a Go duration: numbers, each
// with a fraction or not, followed by `h`, `m`, `s`, `ms`, `us` (or `µs`) or
// `ns` (`6m0s`, `1.5s`, `20ms`); a bare number counts seconds. Rounded to
// milliseconds; empty when the text is none of these.
DGRID_DECL std::optional<std::chrono::milliseconds> parse_reset_duration(std::string_view text) noexcept;

// The status, request id, rate limits and kept fields of `response` into
// `info`; the attempts and timings are the caller's to fill.
DGRID_DECL void read_response_info(const response_reader& response, response_info& info);

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/http/response_metadata.ipp>
#endif

#endif
