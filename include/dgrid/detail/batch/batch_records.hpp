#ifndef DGRID_DETAIL_BATCH_BATCH_RECORDS_HPP
#define DGRID_DETAIL_BATCH_BATCH_RECORDS_HPP

// Internal: the lines a batch writes, in the Batch API's output form:
// `{"id", "custom_id", "response": {"status_code", "request_id", "body"},
// "error"}`; and the key a resumed run reads back from each.

#include <dgrid/chat_completion.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dgrid::detail {

// An answer: `body` is the completion's JSON, `error` null.
DGRID_DECL std::string answer_record(std::string_view custom_id, const chat_completion& completion);

// A call that failed: `response` holds the gateway's status, request id and
// error object when it answered, else null; `error` is `{"code": <name>,
// "message"}` (error_name).
DGRID_DECL std::string failure_record(std::string_view custom_id, error_code ec, const diagnostics& diag);

// A line that could not run (`code`: "invalid_line", "unknown_url",
// "duplicate_custom_id"), with its number from 1: `line` names it,
// `custom_id` is null when the line has none.
DGRID_DECL std::string line_record(std::size_t line, std::string_view custom_id, std::string_view code,
                                   std::string_view message);

// The name of an error for records and summaries: a `dgrid::error`'s
// enumerator, else `category:value`.
DGRID_DECL std::string error_name(error_code ec);

// What makes a record count as done: its line number when it reports a
// line, else its `custom_id`. Empty for text that is not a record.
struct record_key {
    std::string custom_id;
    std::optional<std::size_t> line;
};
DGRID_DECL std::optional<record_key> read_record_key(std::string_view record);

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/batch/batch_records.ipp>
#endif

#endif
