#ifndef DGRID_DETAIL_JSON_COMPLETION_READER_IPP
#define DGRID_DETAIL_JSON_COMPLETION_READER_IPP

#include <dgrid/detail/json/completion_reader.hpp>
#include <dgrid/detail/json/json_scanner.ipp>

#include <boost/mp11/algorithm.hpp>

#include <string>
#include <variant>

namespace dgrid::detail {

namespace completion_reading {

enum class message_key { role, content, name, tool_calls, tool_call_id, reasoning_content, reasoning, refusal };
inline constexpr std::string_view message_keys[] = {"role",         "content",           "name",      "tool_calls",
                                                    "tool_call_id", "reasoning_content", "reasoning", "refusal"};

// The position of `key` among `names`, or -1.
template <std::size_t N>
int key_index(std::string_view key, const std::string_view (&names)[N]) noexcept {
    for (std::size_t i = 0; i < N; ++i)
        if (key.size() == names[i].size() && key_is(key, names[i]))
            return static_cast<int>(i);
    return -1;
}

// Nesting of the values of a message's members (the top level is 1).
inline constexpr std::size_t message_member_depth = 5;

} // namespace completion_reading

DGRID_DECL bool completion_reader::read(std::string_view text, chat_completion& out) {
    start(text);
    return object(out, 2) && at_end_of_text();
}

template <described_struct T>
bool completion_reader::object(T& out, std::size_t depth) {
    member_set seen;
    return members([&](std::string_view key) {
        int found = -1;
        bool read = false;
        int i = 0;
        boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
            constexpr std::string_view name = decltype(d)::name;
            if constexpr (name != "extra") {
                if (found < 0 && key.size() == name.size() && key_is(key, name)) {
                    found = i;
                    read = seen.first_time(i) && value(out.*d.pointer, depth);
                }
            }
            ++i;
        });
        if (found >= 0)
            return read;
        if constexpr (requires { out.extra; })
            return extra_member(out.extra, key, depth);
        else
            return skip_value(depth);
    });
}

DGRID_DECL bool completion_reader::message_object(message& out) {
    using namespace completion_reading;
    member_set seen;
    return members([&](std::string_view key) {
        const int i = key_index(key, message_keys);
        if (i < 0)
            return extra_member(out.extra, key, message_member_depth);
        if (!seen.first_time(i))
            return false;
        switch (static_cast<message_key>(i)) {
        case message_key::role: return text(out.role);
        case message_key::content: {
            if (*p_ == 'n')
                return literal("null");
            std::string_view v;
            if (*p_ != '"' || !string(v))
                return false; // parts, or the wrong type
            out.content.emplace(std::in_place_type<std::string>, v);
            return true;
        }
        case message_key::name: return optional_text(out.name);
        case message_key::tool_calls: return value(out.tool_calls, message_member_depth);
        case message_key::tool_call_id: return optional_text(out.tool_call_id);
        case message_key::reasoning_content: return optional_text(out.reasoning_content);
        case message_key::reasoning: return false;
        case message_key::refusal: return optional_text(out.refusal);
        }
        return false;
    });
}

// The member is placed before its value is read: the key may be a view of
// the scanner's buffer, which the value may overwrite. A key named twice goes
// to the tree.
DGRID_DECL bool completion_reader::extra_member(boost::json::object& extra, std::string_view key, std::size_t depth) {
    auto [it, inserted] = extra.emplace(boost::json::string_view(key.data(), key.size()), nullptr);
    return inserted && any_value(depth, it->value());
}

template <described_struct T>
bool completion_reader::value(T& to, std::size_t depth) {
    if (*p_ == 'n')
        return literal("null");
    return *p_ == '{' && object(to, depth + 1);
}

template <described_struct T>
bool completion_reader::value(std::optional<T>& to, std::size_t depth) {
    if (*p_ == 'n') {
        to.reset();
        return literal("null");
    }
    return *p_ == '{' && object(to.emplace(), depth + 1);
}

// A null element is left to the tree, which reads it as an empty object.
template <class T>
bool completion_reader::value(std::vector<T>& to, std::size_t depth) {
    if (*p_ == 'n')
        return literal("null");
    return elements([&] { return *p_ == '{' && element(to.emplace_back(), depth + 2); });
}

DGRID_DECL bool completion_reader::value(message& to, std::size_t) {
    return *p_ == 'n' ? literal("null") : message_object(to);
}

DGRID_DECL bool completion_reader::value(std::int64_t& to, std::size_t) {
    return *p_ == 'n' ? literal("null") : integer(to);
}

DGRID_DECL bool completion_reader::value(boost::json::value& to, std::size_t depth) { return any_value(depth, to); }

DGRID_DECL bool completion_reader::text(std::string& to) {
    if (*p_ == 'n')
        return literal("null");
    std::string_view v;
    if (*p_ != '"' || !string(v))
        return false;
    to.assign(v);
    return true;
}

DGRID_DECL bool completion_reader::optional_text(std::optional<std::string>& to) {
    if (*p_ == 'n') {
        to.reset();
        return literal("null");
    }
    std::string_view v;
    if (*p_ != '"' || !string(v))
        return false;
    to.emplace(v);
    return true;
}

DGRID_DECL bool completion_reader::optional_integer(std::optional<std::int64_t>& to) {
    if (*p_ == 'n') {
        to.reset();
        return literal("null");
    }
    std::int64_t value = 0;
    if (!integer(value))
        return false;
    to = value;
    return true;
}

} // namespace dgrid::detail

#endif
