#ifndef DGRID_DETAIL_DESCRIBED_TRAITS_HPP
#define DGRID_DETAIL_DESCRIBED_TRAITS_HPP

// Internal: the C++ types that described JSON maps, and how to tell them apart.

#include <dgrid/json_annotations.hpp>

#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace dgrid::detail {

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

template <class T>
inline constexpr bool is_vector = false;
template <class T, class A>
inline constexpr bool is_vector<std::vector<T, A>> = true;

template <class T>
inline constexpr bool is_string_map = false;
template <class T, class C, class A>
inline constexpr bool is_string_map<std::map<std::string, T, C, A>> = true;

// An integer, not a boolean or a character.
template <class T>
concept json_integer =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> && !std::is_same_v<T, wchar_t> &&
    !std::is_same_v<T, char8_t> && !std::is_same_v<T, char16_t> && !std::is_same_v<T, char32_t>;

template <class T>
concept described_enum = std::is_enum_v<T> && boost::describe::has_describe_enumerators<T>::value;

template <class T>
concept described_struct = std::is_class_v<T> && boost::describe::has_describe_members<T>::value && !std::is_union_v<T>;

// The described members of `T`: public, its bases' included.
template <class T>
using described_members =
    boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

template <class T>
concept annotated = requires(const T* p) {
    { dgrid_json_annotations(p) } -> std::convertible_to<json_annotations>;
};

template <class T>
json_annotations annotations_of() {
    if constexpr (annotated<T>)
        return dgrid_json_annotations(static_cast<const T*>(nullptr));
    else
        return {};
}

} // namespace dgrid::detail

#endif
