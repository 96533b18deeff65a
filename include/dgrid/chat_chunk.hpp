#ifndef DGRID_CHAT_CHUNK_HPP
#define DGRID_CHAT_CHUNK_HPP

#include <dgrid/chat_completion.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dgrid {

/// A fragment of a tool call in a streamed delta. The first fragment of a
/// call carries `id`, `type` and `function.name`; `arguments` arrive in
/// pieces to be joined per `index`.
struct tool_call_delta {
    /// Equal when every member is.
    bool operator==(const tool_call_delta&) const = default;

    std::int64_t index = 0;               ///< `index` of the call in its choice; its position in the array if missing.
    std::optional<std::string> id;        ///< `id` of the call; absent when not sent.
    std::optional<std::string> type;      ///< `type`, "function"; absent when not sent.
    std::optional<std::string> name;      ///< `function.name`; absent when not sent.
    std::optional<std::string> arguments; ///< `function.arguments`: the next piece of the arguments' JSON text.
    /// Members this library does not know (Gemini's `extra_content`); the
    /// stream's completion keeps them in its `tool_call::extra`.
    boost::json::object extra;
};
// `name` and `arguments` are members of the wire's `function` object
// (detail/json/wire_members.hpp, wire_parent).
BOOST_DESCRIBE_STRUCT(tool_call_delta, (), (index, id, type, name, arguments, extra))

/// What one chunk adds to one choice's message. Absent members add nothing.
struct chunk_delta {
    /// Equal when every member is.
    bool operator==(const chunk_delta&) const = default;

    /// `role` ("assistant"), usually in a choice's first chunk only.
    std::optional<std::string> role;
    /// `content`: the next piece of the answer's text (an array of text parts is joined).
    std::optional<std::string> content;
    /// `reasoning_content`, or `reasoning` on some upstreams.
    std::optional<std::string> reasoning_content;
    /// `refusal`: the next piece of a refusal (structured outputs).
    std::optional<std::string> refusal;
    /// `tool_calls`: fragments of tool calls; empty when absent or null.
    std::vector<tool_call_delta> tool_calls;
    /// Members this library does not know; the stream's completion keeps
    /// them in its `message::extra`.
    boost::json::object extra;
};
BOOST_DESCRIBE_STRUCT(chunk_delta, (), (role, content, reasoning_content, refusal, tool_calls, extra))

/// One choice of a chunk.
struct chunk_choice {
    /// Equal when every member is.
    bool operator==(const chunk_choice&) const = default;

    /// `index` of the choice among the `n`; its position in `choices` when missing.
    std::int64_t index = 0;
    /// `delta`: what this chunk adds to the choice; empty when null or missing.
    chunk_delta delta;
    /// `finish_reason` ("stop", "length", "tool_calls", ...), sent in the choice's
    /// last chunk; absent before.
    std::optional<std::string> finish_reason;
    /// `logprobs` as received (null when absent).
    boost::json::value logprobs;
    /// Members this library does not know (`native_finish_reason`, ...); the
    /// stream's completion keeps them in its `choice::extra`.
    boost::json::object extra;
};
BOOST_DESCRIBE_STRUCT(chunk_choice, (), (index, delta, finish_reason, logprobs, extra))

/// One `chat.completion.chunk` event of a streamed completion. A stream
/// reuses one chunk object from event to event, so its memory is reused too.
struct chat_chunk {
    /// Equal when every member is.
    bool operator==(const chat_chunk&) const = default;

    /// `id` of the completion; every chunk of a stream repeats it.
    std::string id;
    /// "chat.completion.chunk"; kept as received, not relied upon.
    std::string object;
    /// `created`: when the completion was created, in Unix seconds; absent when not sent.
    std::optional<std::int64_t> created;
    /// `model`: the model that answers, as the gateway names it.
    std::string model;
    /// Empty in the final usage chunk.
    std::vector<chunk_choice> choices;
    /// `usage`: token counts, usually in the last chunk only (the client asks for
    /// them with `stream_options`); absent when null or missing.
    std::optional<dgrid::usage> usage;
    /// `system_fingerprint`: the backend configuration that answered; absent when not sent.
    std::optional<std::string> system_fingerprint;
    /// Top-level members this library does not know.
    boost::json::object extra;

    /// The content delta of the first choice, empty when there is none.
    /// Always valid UTF-8: when a server split a character's UTF-16 surrogate
    /// pair across two chunks (`"...\ud83d"`, then `"\ude00..."`), the first
    /// chunk's text ends before the character and the next one's begins with
    /// it whole, so that the texts of a stream's chunks concatenate to the
    /// answer; a surrogate that never finds its other half is U+FFFD (in the
    /// next text of the same member, or in the finish chunk of its choice).
    /// The same holds for `reasoning_content` and tool-call `arguments`.
    std::string_view text() const {
        if (choices.empty() || !choices.front().delta.content)
            return {};
        return *choices.front().delta.content;
    }
};
BOOST_DESCRIBE_STRUCT(chat_chunk, (), (id, object, created, model, choices, usage, system_fingerprint, extra))

} // namespace dgrid

#endif
