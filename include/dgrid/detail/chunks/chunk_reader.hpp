#ifndef DGRID_DETAIL_CHUNKS_CHUNK_READER_HPP
#define DGRID_DETAIL_CHUNKS_CHUNK_READER_HPP

// Internal: the stream's hot path, a reader of a chunk's JSON text that knows
// the chunk's shape and writes each value straight into a chat_chunk.

#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/detail/json/json_scanner.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dgrid::detail {

// Reads what chunks usually hold exactly as read_chunk reads it from a tree
// (lone surrogate escapes as detail/json/lone_surrogates.hpp says):
// typed members at every level, unknown members kept in the `extra` of their
// level (at the top level only scalars and strings; skipped in a tool call's
// `function`, which has no `extra`). Anything else makes it
// give up, and the decoder then reads that event through the tree, which
// knows every rule and error message: text that is not one JSON object or
// that nests deeper than the tree parser allows, invalid UTF-8, an `error` member, non-null `usage` or `logprobs`,
// content as parts, a member of the wrong type, a repeated member, a number that is not an integer where one is
// expected, an unknown top-level object or array, a set of unknown top-level members that differs from the previous
// chunk's.
class chunk_reader : json_scanner {
public:
    // Reads `data` into `out`, which holds the previous chunk: members are
    // overwritten in place, and those the event lacks are emptied (buffers
    // kept, strings pooled). False when it gave up, `out` then partly written.
    // When `out` is the chunk the previous read filled, untouched since, the
    // members an event repeats byte for byte from the previous one's start
    // (id, object, created, model, fingerprint) are not read again; and an
    // event that differs from the previous one only in the value of its last
    // free-text string (a delta's content or reasoning, a tool call's
    // arguments), as most of a stream's do, has only that string read.
    bool read(std::string_view data, chat_chunk& out, string_pool& pool);

    // Whether the last read kept a lone surrogate in free text
    // (detail/json/lone_surrogates.hpp).
    bool kept_lone_surrogate() const noexcept { return kept_lone_surrogate_; }

    // Makes the next read start from scratch: the chunk it filled last was
    // changed since (surrogate_mender).
    void forget_previous() noexcept { prefix_out_ = nullptr; }

private:
    // The members of each object of the typed tree.
    enum class member : std::uint8_t {
        // chat_chunk
        id,
        object,
        created,
        model,
        choices,
        usage,
        system_fingerprint,
        // chunk_choice
        choice_index,
        delta,
        finish_reason,
        logprobs,
        // chunk_delta
        role,
        content,
        reasoning_content,
        reasoning,
        refusal,
        tool_calls,
        // tool_call_delta
        call_index,
        call_id,
        call_type,
        function,
        name,
        arguments,
        // an unknown member: kept in `extra` (skipped in a function)
        extra,
        skipped,
        // what makes the reader give up (`error`)
        unreadable
    };

    static member chunk_member(std::string_view key) noexcept;
    static member choice_member(std::string_view key) noexcept;
    static member delta_member(std::string_view key) noexcept;
    static member tool_call_member(std::string_view key) noexcept;
    static member function_member(std::string_view key) noexcept;

    bool chunk_object(bool out_is_previous);
    void remember_prefix(const member_set& seen);
    bool read_changed_free_text(std::string_view data, chat_chunk& out);
    void remember_free_text();
    bool chunk_value(member m);
    bool choices_array();
    bool choice_object(chunk_choice& choice);
    bool delta_object(chunk_delta& delta);
    bool tool_calls_array(std::vector<tool_call_delta>& calls);
    bool tool_call_object(tool_call_delta& call);
    bool function_object(tool_call_delta& call);
    bool extra_member(std::string_view key);
    bool nested_extra(boost::json::object& extra, std::string_view key, std::size_t depth);

    // Typed values: false for a value of another type.
    bool text(std::string& to);
    bool optional_text(std::optional<std::string>& to);
    // A member whose value is text for the reader (`content`,
    // `reasoning_content`, `arguments`): it changes from chunk to chunk and
    // nothing else depends on it.
    bool free_text(std::optional<std::string>& to, member m);

    // Where a free-text string went: indexes rather than an address, which a
    // later choice or tool call of the same chunk may move.
    struct free_text_place {
        member m = member::content;
        std::size_t choice = 0;
        std::size_t call = 0; // for `arguments`
    };
    static std::optional<std::string>& place_in(chat_chunk& c, const free_text_place& place) noexcept;

    // What the previous read left, kept to go on from in the next:
    // - the chunk's start up to `choices` (`text` up to `prefix_size`), and
    //   what reading it left;
    // - when it had a free-text string, the chunk's bytes before that string
    //   (`text` up to `head_size`) and after it (the rest of `text`), and the
    //   member the string went to.
    struct prefix_state {
        std::string text;
        std::size_t prefix_size = 0;
        member_set seen;
        std::size_t unknown = 0;
        std::vector<unsigned char> extra_seen;
        std::size_t head_size = 0;
        std::optional<free_text_place> free_text;
    };
    // Prefixes and heads longer than this are not kept: chunks begin with
    // short members. Nor are tails longer than max_tail_size.
    static constexpr std::size_t max_prefix_size = 1024;
    static constexpr std::size_t max_tail_size = 256;

    // The free-text string read last in this read: its place and its bytes
    // from the opening quote to past the closing one.
    std::optional<free_text_place> free_text_;
    const char* free_text_start_ = nullptr;
    const char* free_text_end_ = nullptr;
    std::size_t choice_at_ = 0; // the choice being read
    std::size_t call_at_ = 0;   // the tool call being read

    std::string_view data_;
    chat_chunk* out_ = nullptr;
    // The chunk the last successful read filled, when it kept a prefix.
    const chat_chunk* prefix_out_ = nullptr;
    prefix_state prefix_;
    bool prefix_taken_ = false; // in this read, from `prefix_` or into it
    string_pool* pool_ = nullptr;
    std::size_t unknown_ = 0;               // top-level unknown members in this event
    std::vector<unsigned char> extra_seen_; // per member of `extra`: named in this event
    std::string reasoning_;                 // `reasoning`, applied at the end of its delta
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/chunks/chunk_reader.ipp>
#endif

#endif
