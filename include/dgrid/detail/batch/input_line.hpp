#ifndef DGRID_DETAIL_BATCH_INPUT_LINE_HPP
#define DGRID_DETAIL_BATCH_INPUT_LINE_HPP

// Internal: one line of a Batch API input file, read.

#include <dgrid/chat_request.hpp>
#include <dgrid/detail/config.hpp>

#include <string>
#include <string_view>

namespace dgrid::detail {

struct input_line {
    std::string custom_id; // empty when the line has none
    chat_request body;
    // Why the line cannot run ("invalid_line", "unknown_url"), and how;
    // empty when it can.
    std::string error_code;
    std::string error_message;
};

// `{"custom_id": "...", "method": "POST", "url": "/v1/chat/completions",
// "body": {...}}`; `method` may be left out, `url` may be without `/v1`.
DGRID_DECL input_line parse_input_line(std::string_view text);

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/batch/input_line.ipp>
#endif

#endif
