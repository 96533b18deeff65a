#ifndef DGRID_CHAT_ACCUMULATOR_HPP
#define DGRID_CHAT_ACCUMULATOR_HPP

#include <dgrid/chat_chunk.hpp>
#include <dgrid/chat_completion.hpp>
#include <dgrid/detail/config.hpp>

#include <cstdint>
#include <vector>

namespace dgrid {

/// Merges the chunks of a stream into the `chat_completion` the same request
/// would have returned unstreamed: per choice index, content and reasoning
/// concatenated, tool calls merged by index with their arguments joined,
/// the last finish_reason, the usage of the usage chunk.
///
/// The rules, for gateways that differ: `role` comes from the first delta that
/// has one ("assistant" when none does); a tool call's `id` and `type` from the
/// first fragment that has one, its `name` likewise, except that a later
/// different name is appended (some upstreams stream names in pieces) while a
/// repeated one is ignored; fragments with the same `index`, even inside one
/// chunk, go to the same call. `content` that stayed empty is reported absent
/// when the choice calls tools (as an unstreamed answer has `content: null`),
/// and `reasoning_content` is present only once a non-empty piece came.
/// `logprobs`: the `content` (and `refusal`) arrays are joined, otherwise the
/// last non-null wins. `id`, `model`, `created`, `system_fingerprint` and each
/// unknown top-level member come from the first chunk that has them; `usage`
/// from the last chunk with a non-null one.
class chat_accumulator {
public:
    /// Adds one chunk.
    DGRID_DECL void add(const chat_chunk& chunk);

    /// What has been merged so far (a partial message before the end).
    const chat_completion& completion() const noexcept { return completion_; }

    /// Moves the merged completion out and starts over.
    DGRID_DECL chat_completion take();

private:
    // What the merge rules need to know about a tool call beyond its value.
    struct call_state {
        std::int64_t index = 0; // the wire `index` of the fragments merged into it
        bool type_seen = false; // `type` came from a fragment, not the default
    };

    // Per choice, parallel to `completion_.choices` (both sorted by index).
    struct choice_state {
        bool role_seen = false;
        std::vector<call_state> calls; // parallel to message.tool_calls, sorted by index
    };

    chat_completion completion_;
    std::vector<choice_state> states_;
};

} // namespace dgrid

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/chat_accumulator.ipp>
#endif

#endif
