#ifndef DGRID_EMULATOR_CHAT_REQUEST_HPP
#define DGRID_EMULATOR_CHAT_REQUEST_HPP

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dgrid::emulator {

/// One message of a request, reduced to what the emulated models read.
struct chat_message {
    std::string role; ///< `system`, `user`, `assistant`, `tool`, ...
    std::string text; ///< The string content, or its text parts concatenated.
};

/// A function the request offers the model.
struct offered_tool {
    std::string name;              ///< `function.name`
    boost::json::value parameters; ///< `function.parameters`: JSON Schema, null when absent
};

/// The part of a `POST /v1/chat/completions` body the emulator acts on; other
/// fields (`temperature`, DGrid's `contents`, ...) are accepted and ignored,
/// as a gateway passes them upstream.
struct chat_request {
    std::string model;                       ///< `model`
    std::vector<chat_message> messages;      ///< `messages`, never empty
    unsigned n = 1;                          ///< `n`, capped at `max_choices`
    std::optional<std::uint64_t> max_tokens; ///< the smaller of `max_tokens` and `max_completion_tokens`
    std::vector<offered_tool> tools;         ///< `tools[].function`, in order (those with a name)
    /// The schema `response_format` asks for: `json_schema.schema`, or any
    /// object for `json_object`; null for text.
    boost::json::value response_schema;
    bool stream = false;          ///< `stream`
    bool include_usage = false;   ///< `stream_options.include_usage`
    std::uint32_t image_side = 8; ///< `emulator_image_side`: `emulator/image` draws this many pixels square

    /// The text of the last `user` message, or empty when there is none.
    std::string last_user_text() const;
};

/// The most choices one request gets; a larger `n` is capped, not refused.
inline constexpr unsigned max_choices = 8;

/// The largest `emulator_image_side` (a 2048x2048 PNG is about 12 MB).
inline constexpr std::uint32_t max_image_side = 2048;

/// Parses and validates a request body. Throws `api_error` (400,
/// `invalid_request_error`) with `code` `invalid_json`, `missing_field`,
/// `invalid_type` or `invalid_value` and `param` naming the field at fault.
chat_request parse_chat_request(std::string_view body);

} // namespace dgrid::emulator

#endif
