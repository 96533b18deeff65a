#ifndef DGRID_DETAIL_CHUNK_READER_HPP
#define DGRID_DETAIL_CHUNK_READER_HPP

// Internal: the stream's hot path, a reader of a chunk's JSON text that knows
// the chunk's shape and writes each value straight into a chat_chunk, in one
// pass and without a JSON tree.

#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/chunk_decoder.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dgrid::detail {

// Reads what chunks usually hold exactly as read_chunk reads it from a tree:
// typed members at every level, unknown members skipped (or, at the top level,
// kept in `extra` when they are scalars or strings). Anything else makes it
// give up, and the decoder then reads that event through the tree, which
// knows every rule and error message: text that is not one JSON object or
// that nests deeper than the tree parser allows, invalid UTF-8 or a lone
// surrogate, an `error` member, non-null `usage` or `logprobs`, content as
// parts, a member of the wrong type, a repeated member, a number that is not
// an integer where one is expected, an unknown top-level object or array, a
// set of unknown top-level members that differs from the previous chunk's.
class chunk_reader {
public:
    // Reads `data` into `out`, which holds the previous chunk: members are
    // overwritten in place, and those the event lacks are emptied (buffers
    // kept, strings pooled). False when it gave up, `out` then partly written.
    bool read(std::string_view data, chat_chunk& out, string_pool& pool);

private:
    // The members of each object of the typed tree.
    enum class member : std::uint8_t {
        // chat_chunk
        id, object, created, model, choices, usage, system_fingerprint,
        // chunk_choice
        choice_index, delta, finish_reason, logprobs,
        // chunk_delta
        role, content, reasoning_content, reasoning, tool_calls,
        // tool_call_delta
        call_index, call_id, call_type, function, name, arguments,
        // an unknown member: kept in `extra` at the top level, else skipped
        extra, skipped,
        // what makes the reader give up (`error`)
        unreadable
    };

    // A number: its text, and its value when it is an integer of at most 19
    // digits (Boost.JSON's int64, or uint64 above INT64_MAX); `other` for
    // what only Boost.JSON's own conversion may read (a fraction, an
    // exponent, `-0`, more digits).
    struct number {
        std::string_view text;
        enum class kind : std::uint8_t { int64, uint64, other } kind;
        std::uint64_t magnitude;
        bool negative;

        // The value of an `int64` number.
        std::int64_t int64() const noexcept {
            return negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
        }
    };

    static member chunk_member(std::string_view key) noexcept;
    static member choice_member(std::string_view key) noexcept;
    static member delta_member(std::string_view key) noexcept;
    static member tool_call_member(std::string_view key) noexcept;
    static member function_member(std::string_view key) noexcept;

    bool chunk_object();
    bool chunk_value(member m);
    bool choices_array();
    bool choice_object(chunk_choice& choice);
    bool delta_object(chunk_delta& delta);
    bool tool_calls_array(std::vector<tool_call_delta>& calls);
    bool tool_call_object(tool_call_delta& call);
    bool function_object(tool_call_delta& call);
    bool extra_member(std::string_view key);

    // The members of an object, `p_` at its `{`: `on_member(key)` reads each
    // value. The key may be a view of `scratch_`, which the value overwrites.
    template <class OnMember>
    bool members(OnMember&& on_member);
    // The elements of an array, `p_` at its `[`.
    template <class OnElement>
    bool elements(OnElement&& on_element);

    // Typed values: false for a value of another type.
    bool text(std::string& to);
    bool optional_text(std::optional<std::string>& to);
    bool index(std::int64_t& to);
    bool null_only();

    bool string(std::string_view& out);
    bool string_tail(const char* run, std::string_view& out);
    bool escape();
    bool read_number(number& n);
    // `word` at `p_`, taken.
    template <std::size_t N>
    bool literal(const char (&word)[N]) noexcept {
        constexpr std::size_t size = N - 1;
        if (static_cast<std::size_t>(end_ - p_) < size || std::memcmp(p_, word, size) != 0)
            return false;
        p_ += size;
        return true;
    }
    bool skip_value(std::size_t depth);

    bool at(char c) const noexcept { return p_ != end_ && *p_ == c; }

    // The next byte that is not a space, 0 at the end. Chunks are written
    // without spaces: one comparison finds none, and the loop is out of line.
    char peek() noexcept {
        if (p_ == end_)
            return 0;
        if (static_cast<unsigned char>(*p_) > ' ')
            return *p_;
        skip_spaces();
        return p_ == end_ ? 0 : *p_;
    }
    void skip_spaces() noexcept;

    const char* p_ = nullptr;
    const char* end_ = nullptr;
    chat_chunk* out_ = nullptr;
    string_pool* pool_ = nullptr;
    std::size_t unknown_ = 0;                 // top-level unknown members in this event
    std::vector<unsigned char> extra_seen_;   // per member of `extra`: named in this event
    std::string scratch_;                     // a string with escapes, decoded
    std::string reasoning_;                   // `reasoning`, applied at the end of its delta
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/chunk_reader.ipp>
#endif

#endif
