#ifndef DGRID_DETAIL_CHUNK_EVENT_READER_HPP
#define DGRID_DETAIL_CHUNK_EVENT_READER_HPP

// Internal: the stream's hot path, a handler for boost::json::basic_parser
// that reads a chunk straight from the parser's events into a chat_chunk,
// without building a JSON tree first.

#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/chunk_decoder.hpp>
#include <dgrid/error.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/string_view.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dgrid::detail {

// Reads what chunks usually hold exactly as read_chunk reads it from a tree:
// typed members at every level, unknown members skipped (or, at the top level,
// kept in `extra` when they are scalars or strings). Anything else makes it
// give up, and the decoder then reads that event through the tree, which
// knows every rule and error message: an `error` member, non-null `usage` or
// `logprobs`, content as parts, a member of the wrong type, a repeated member,
// a number that is not an integer where one is expected, an unknown top-level
// object or array, a set of unknown top-level members that differs from the
// previous chunk's.
class chunk_event_reader {
public:
    // The limits of boost::json::parser's own handler.
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    // Prepares to read one event into `out`, which holds the previous chunk:
    // members are overwritten in place, and those the event lacks are
    // emptied at the end of their object (buffers kept, strings pooled).
    void start(chat_chunk& out, string_pool& pool);

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code& ec);
    bool on_object_end(std::size_t n, error_code& ec);
    bool on_array_begin(error_code& ec);
    bool on_array_end(std::size_t n, error_code& ec);
    bool on_key_part(boost::json::string_view s, std::size_t n, error_code& ec);
    bool on_key(boost::json::string_view s, std::size_t n, error_code& ec);
    bool on_string_part(boost::json::string_view s, std::size_t n, error_code& ec);
    bool on_string(boost::json::string_view s, std::size_t n, error_code& ec);
    bool on_number_part(boost::json::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, boost::json::string_view, error_code& ec);
    bool on_uint64(std::uint64_t u, boost::json::string_view, error_code& ec);
    bool on_double(double d, boost::json::string_view, error_code& ec);
    bool on_bool(bool b, error_code& ec);
    bool on_null(error_code& ec);
    bool on_comment_part(boost::json::string_view, error_code&) { return true; }
    bool on_comment(boost::json::string_view, error_code&) { return true; }

private:
    // The objects and arrays of the typed tree.
    enum class level : std::uint8_t { chunk, choices, choice, delta, tool_calls, tool_call, function };

    // What the value after a key is.
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
        unreadable,
        // an element of the array being read
        element
    };

    struct frame {
        level where;
        std::uint32_t seen = 0;  // the members read so far, one bit each
        std::size_t count = 0;   // elements so far, for arrays
    };

    // The typed tree is 7 levels deep: chunk, choices, choice, delta,
    // tool_calls, tool_call, function.
    static constexpr std::size_t max_levels = 7;

    static member member_of(level where, std::string_view key) noexcept;

    // What the value being read is for.
    member current() const noexcept;
    chunk_choice& current_choice() noexcept;
    tool_call_delta& current_call() noexcept;
    bool push(level where, error_code& ec);
    bool give_up(error_code& ec);
    bool string_value(std::string_view v, error_code& ec);
    bool integer_value(std::int64_t i, error_code& ec);
    boost::json::value* extra_value();
    template <class Value>
    bool set_extra(Value v, error_code& ec);
    bool end_of_object(error_code& ec);

    chat_chunk* out_ = nullptr;
    string_pool* pool_ = nullptr;
    std::array<frame, max_levels> stack_{};
    std::size_t depth_ = 0;
    std::size_t skipping_ = 0; // depth inside a skipped value
    member next_ = member::unreadable;
    std::size_t unknown_ = 0;   // top-level unknown members in this event
    std::vector<unsigned char> extra_seen_; // per member of `extra`: named in this event
    bool has_reasoning_ = false; // the current delta had `reasoning`
    std::string key_;            // a key (unknown top-level, or split into parts)
    std::string text_;           // a string split into parts (escapes)
    std::string reasoning_;      // `reasoning`, applied at the end of its delta
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/chunk_event_reader.ipp>
#endif

#endif
