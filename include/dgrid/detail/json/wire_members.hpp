#ifndef DGRID_DETAIL_JSON_WIRE_MEMBERS_HPP
#define DGRID_DETAIL_JSON_WIRE_MEMBERS_HPP

// Internal: the members of the API's described types as their JSON holds
// them, for the writers of a tree (impl/json.ipp) and of request text
// (request_writer.ipp), and for the readers of chunks, which thus follow one
// rule.

#include <dgrid/chat_chunk.hpp>
#include <dgrid/chat_completion.hpp>
#include <dgrid/chat_request.hpp>
#include <dgrid/detail/described/traits.hpp>
#include <dgrid/model_list.hpp>

#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <cstdint>
#include <map>
#include <string_view>
#include <type_traits>

namespace dgrid::detail {

// The list member a type always writes, even empty: `choices: []` says
// something (a usage-only answer), an empty `tool_calls` does not.
template <class T>
inline constexpr std::string_view always_written{};
template <>
inline constexpr std::string_view always_written<chat_completion> = "choices";
template <>
inline constexpr std::string_view always_written<model_list> = "data";
template <>
inline constexpr std::string_view always_written<chat_request> = "messages";
template <>
inline constexpr std::string_view always_written<chat_chunk> = "choices";

// The member of a `T`'s JSON object that holds the member `name`'s JSON,
// empty when `T`'s object holds it itself: a tool call fragment flattens the
// wire's `function: {name, arguments}`.
template <class T>
constexpr std::string_view wire_parent(std::string_view name) noexcept {
    if constexpr (std::is_same_v<T, tool_call_delta>)
        return name == "name" || name == "arguments" ? "function" : "";
    else
        return {};
}

// Whether the member `name` of a `T` with this value is written: not an
// absent optional, an empty list or map (but the one above), a null
// `json::value`.
template <class T, class Member>
bool wire_present(std::string_view name, const Member& value) {
    if constexpr (is_optional<Member>)
        return value.has_value();
    else if constexpr (is_vector<Member> || std::is_same_v<Member, std::map<std::int64_t, int>>)
        return !value.empty() || name == always_written<T>;
    else if constexpr (std::is_same_v<Member, boost::json::value>)
        return !value.is_null();
    else
        return true;
}

// Calls `f(name, value)` for each described member of `x` but `extra`, in
// order; the writers merge `extra` themselves.
template <described_struct T, class F>
void for_each_member(const T& x, F&& f) {
    boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
        constexpr std::string_view name = decltype(d)::name;
        if constexpr (name != "extra")
            f(name, x.*d.pointer);
    });
}

// Calls `f(name, value)` for each member of `x` its JSON holds, an optional's
// value rather than the optional.
template <described_struct T, class F>
void for_each_wire_member(const T& x, F&& f) {
    for_each_member(x, [&](std::string_view name, const auto& value) {
        if (!wire_present<T>(name, value))
            return;
        if constexpr (is_optional<std::remove_cvref_t<decltype(value)>>)
            f(name, *value);
        else
            f(name, value);
    });
}

} // namespace dgrid::detail

#endif
