#ifndef DGRID_CHAT_CHUNK_HPP
#define DGRID_CHAT_CHUNK_HPP

#include <dgrid/chat_completion.hpp>

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
    std::int64_t index = 0;
    std::optional<std::string> id;
    std::optional<std::string> type;
    std::optional<std::string> name;
    std::optional<std::string> arguments;
};

/// What one chunk adds to one choice's message. Absent members add nothing.
struct chunk_delta {
    std::optional<std::string> role;
    std::optional<std::string> content;
    /// `reasoning_content`, or `reasoning` on some upstreams.
    std::optional<std::string> reasoning_content;
    std::vector<tool_call_delta> tool_calls;
};

/// One choice of a chunk.
struct chunk_choice {
    std::int64_t index = 0;
    chunk_delta delta;
    std::optional<std::string> finish_reason;
    /// `logprobs` as received (null when absent).
    boost::json::value logprobs;
};

/// One `chat.completion.chunk` event of a streamed completion. A stream
/// reuses one chunk object from event to event, so its memory is reused too.
struct chat_chunk {
    std::string id;
    std::string object;
    std::optional<std::int64_t> created;
    std::string model;
    /// Empty in the final usage chunk.
    std::vector<chunk_choice> choices;
    std::optional<dgrid::usage> usage;
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

} // namespace dgrid

#endif
