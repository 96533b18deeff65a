#ifndef DGRID_DETAIL_JSON_COMPLETION_READER_HPP
#define DGRID_DETAIL_JSON_COMPLETION_READER_HPP

// Internal: the non-streaming hot path, a reader of a chat completion's JSON
// text that knows its shape and writes each value straight into a
// chat_completion, without a JSON tree.

#include <dgrid/chat_completion.hpp>
#include <dgrid/detail/described/traits.hpp>
#include <dgrid/detail/json/json_scanner.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dgrid::detail {

// Reads what completions usually hold exactly as from_json reads it from a
// tree (a lone surrogate escape as U+FFFD, detail/json/lone_surrogates.hpp): typed members at every level, unknown
// members in `extra` whatever their type, tool calls, `logprobs` of any shape. Anything else makes it give up, and
// parse_json then reads the text through the tree, which knows every rule and error message: text that is not one JSON
// object or that nests deeper than the tree parser allows, invalid UTF-8, content as parts, `reasoning` (an alias whose
// meaning depends on its neighbours), a null where an object is expected inside an array, a member of the wrong type, a
// repeated member, a number that is not an integer where one is expected.
class completion_reader : json_scanner {
public:
    // Reads `text` into `out`, which is empty. False when it gave up, `out`
    // then partly written.
    bool read(std::string_view text, chat_completion& out);

private:
    // A described type's members, whose values are at `depth` (the top
    // level is 1): typed ones by name, the others into `extra`.
    template <described_struct T>
    bool object(T& out, std::size_t depth);
    // A message, whose content and `reasoning` need more than its members' types.
    bool message_object(message& out);

    // A member no type has room for, kept in `extra` (`depth`: its value's).
    bool extra_member(boost::json::object& extra, std::string_view key, std::size_t depth);

    // A member's value at `depth`, by its type: false for a value of another
    // type. null leaves a plain value as it is and empties an optional one.
    bool value(std::string& to, std::size_t) { return text(to); }
    bool value(std::optional<std::string>& to, std::size_t) { return optional_text(to); }
    bool value(std::optional<std::int64_t>& to, std::size_t) { return optional_integer(to); }
    bool value(std::int64_t& to, std::size_t depth);
    bool value(boost::json::value& to, std::size_t depth);
    bool value(message& to, std::size_t depth);
    template <described_struct T>
    bool value(T& to, std::size_t depth);
    template <described_struct T>
    bool value(std::optional<T>& to, std::size_t depth);
    // An array of objects; null for none.
    template <class T>
    bool value(std::vector<T>& to, std::size_t depth);
    // An element of such an array, its members at `depth`.
    bool element(message& to, std::size_t) { return message_object(to); }
    template <described_struct T>
    bool element(T& to, std::size_t depth) {
        return object(to, depth);
    }

    bool text(std::string& to);
    bool optional_text(std::optional<std::string>& to);
    bool optional_integer(std::optional<std::int64_t>& to);
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/json/completion_reader.ipp>
#endif

#endif
