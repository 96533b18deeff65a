#ifndef DGRID_EMULATOR_MODELS_HPP
#define DGRID_EMULATOR_MODELS_HPP

#include "emulator/chat_reply.hpp"
#include "emulator/chat_request.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace dgrid::emulator {

/// The models the emulator serves, in the order `GET /v1/models` lists them.
/// Each answers deterministically:
/// - `emulator/echo`: the last user message's text; `n` choices; cut to
///   `max_tokens` words with `finish_reason` `length`.
/// - `emulator/tools`: once the conversation ends with tool results (messages
///   of role `tool`), an answer in words quoting them: `The tools answered:
///   <result>; <result>`. Before, a call of every tool the request offers, in
///   one turn (`call_emu_1`, ...), each with arguments that are an instance
///   of its `parameters` schema (`schema_instance`), or, when none is
///   offered, of `get_weather` with `{"location":"Paris","unit":"celsius"}`;
///   `finish_reason` `tool_calls`.
/// - `emulator/reasoning`: `reasoning_content` then `Answer: <text>`.
/// - `emulator/image`: a markdown data URI of a generated PNG, 8x8 pixels or
///   `emulator_image_side` (1-2048) square.
/// - `emulator/json`: the JSON text of an instance of the request's
///   `response_format` schema (`schema_instance`); 400 without one.
/// - `emulator/refusal`: `content` null and `refusal` "I can't help with that.".
inline constexpr std::array<std::string_view, 6> model_ids = {
    "emulator/echo", "emulator/tools", "emulator/reasoning", "emulator/image", "emulator/json", "emulator/refusal",
};

/// The `created` time of every model and completion (2024-07-01T19:20:00Z),
/// fixed so that responses are reproducible.
inline constexpr std::int64_t fixed_created = 1719859200;

/// The body of `GET /v1/models`.
std::string models_list_json();

/// The emulator's rough token count of `text`: its whitespace-separated words.
std::uint64_t count_tokens(std::string_view text) noexcept;

/// What `request.model` answers to `request`; `request_number` makes the id
/// `chatcmpl-emu-<N>`. Throws `api_error` 404 `model_not_found` for a model not
/// in `model_ids`.
chat_reply generate_reply(const chat_request& request, std::uint64_t request_number);

} // namespace dgrid::emulator

#endif
