#ifndef DGRID_DETAIL_CHUNKS_CHUNK_READER_HPP
#define DGRID_DETAIL_CHUNKS_CHUNK_READER_HPP

// Internal: the stream's hot path, a reader of a chunk's JSON text that knows
// the chunk's shape and writes each value straight into a chat_chunk.

#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/detail/described/traits.hpp>
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
    // The members whose values are free text for the reader: they change
    // from chunk to chunk and nothing else depends on them.
    enum class free_text_member : std::uint8_t { none, content, reasoning_content, arguments };
    template <class T>
    static constexpr free_text_member free_text_of(std::string_view name) noexcept;

    bool chunk_object(bool out_is_previous);
    void remember_prefix(const member_set& seen);
    bool read_changed_free_text(std::string_view data, chat_chunk& out);
    void remember_free_text();

    // A choice, delta or tool call fragment, whose members' values are at
    // `depth`: members by their description, the wire's own (`wire_member`),
    // unknown ones into `extra`. Members it lacks are emptied.
    template <described_struct T>
    bool object(T& out, std::size_t depth);
    // Reads the member `key` of `out` when `T` has one of that name whose
    // JSON is in `parent` (wire_members.hpp, wire_parent): returns whether it
    // has, and sets `read` (false for a repeated member or a value of
    // another type). Its position in the description marks it in `seen`.
    template <described_struct T>
    bool typed_member(T& out, std::string_view key, std::string_view parent, member_set& seen, std::size_t depth,
                      bool& read);
    // Empties the members of `out` not in `seen` but its `extra`, keeping
    // buffers; an `index` stays its position in the list.
    template <described_struct T>
    void vacate_absent(T& out, const member_set& seen);

    // Members of the wire that no member of the type has the name of:
    // `reasoning` in a delta, `function` in a tool call fragment. Empty for
    // another key, else whether it was read.
    template <described_struct T>
    std::optional<bool> wire_member(T&, std::string_view, member_set&, std::size_t) {
        return std::nullopt;
    }
    std::optional<bool> wire_member(chunk_delta& delta, std::string_view key, member_set& seen, std::size_t depth);
    std::optional<bool> wire_member(tool_call_delta& call, std::string_view key, member_set& seen, std::size_t depth);

    // Typed values at `depth`: false for a value of another type. null
    // empties a member (leaves an `index` its position).
    bool value(std::string& to, std::size_t) { return text(to); }
    bool value(std::optional<std::string>& to, std::size_t) { return optional_text(to); }
    bool value(std::int64_t& to, std::size_t);
    bool value(std::optional<std::int64_t>& to, std::size_t);
    bool value(std::optional<usage>& to, std::size_t); // only null: usage is the tree's
    bool value(boost::json::value& to, std::size_t);   // only null: logprobs are the tree's
    bool value(chunk_delta& to, std::size_t depth);
    template <described_struct T>
    bool value(std::vector<T>& to, std::size_t depth);

    bool extra_member(std::string_view key);
    bool nested_extra(boost::json::object& extra, std::string_view key, std::size_t depth);

    bool text(std::string& to);
    bool optional_text(std::optional<std::string>& to);
    bool free_text(std::optional<std::string>& to, free_text_member m);

    // Where a free-text string went: indexes rather than an address, which a
    // later choice or tool call of the same chunk may move.
    struct free_text_place {
        free_text_member m = free_text_member::content;
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
    bool has_reasoning_ = false;            // in the delta being read
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/chunks/chunk_reader.ipp>
#endif

#endif
