#ifndef DGRID_EMULATOR_CHAT_REPLY_HPP
#define DGRID_EMULATOR_CHAT_REPLY_HPP

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dgrid::emulator {

/// One function call the model asks for.
struct tool_call {
    std::string id;        ///< `call_emu_1`, ...
    std::string name;      ///< `function.name`
    std::string arguments; ///< `function.arguments`: JSON text, as the API sends it
};

/// One choice of a reply, in pieces (reasoning, content, tool calls) so that a
/// streaming writer can cut each into deltas and a plain one can write it whole.
struct reply_choice {
    std::optional<std::string> content;   ///< null for a pure tool-call answer
    std::optional<std::string> reasoning; ///< `reasoning_content`, absent unless the model reasons
    std::vector<tool_call> tool_calls;    ///< absent from the JSON when empty
    std::string finish_reason;            ///< `stop`, `length` or `tool_calls`
    bool whole_content = false;           ///< stream the content as one delta, not token by token (images)
    std::optional<std::string> refusal{}; ///< `refusal`, instead of content, of a model that declines
};

/// Token counts of one reply, summed over its choices.
struct token_usage {
    std::uint64_t prompt_tokens = 0;          ///< all message text of the request
    std::uint64_t completion_text_tokens = 0; ///< visible output: content and tool calls
    std::uint64_t reasoning_tokens = 0;       ///< reasoning output

    std::uint64_t completion_tokens() const noexcept { return completion_text_tokens + reasoning_tokens; }
    std::uint64_t total_tokens() const noexcept { return prompt_tokens + completion_tokens(); }
};

/// A whole chat completion as the emulated model produced it.
struct chat_reply {
    std::string id;                    ///< `chatcmpl-emu-<N>`
    std::int64_t created = 0;          ///< Unix time; fixed so that replies are reproducible
    std::string model;                 ///< the requested model id
    std::string system_fingerprint;    ///< `fp_emulator`
    std::string provider;              ///< an extra top-level field real gateways add; clients must tolerate it
    std::vector<reply_choice> choices; ///< `choices[i]` has `index` i
    token_usage usage;
};

/// The non-streaming `chat.completion` JSON body of `reply`.
std::string to_completion_json(const chat_reply& reply);

/// The `usage` object of a completion: the same in a plain reply and in the
/// last chunk of a stream with `include_usage`.
boost::json::object to_usage_json(const token_usage& usage);

} // namespace dgrid::emulator

#endif
