#ifndef DGRID_JSON_ANNOTATIONS_HPP
#define DGRID_JSON_ANNOTATIONS_HPP

#include <span>
#include <string_view>

namespace dgrid {

/// How one member of a described struct appears in JSON and in its schema.
struct member_annotation {
    /// The C++ member, as named in `BOOST_DESCRIBE_STRUCT`.
    std::string_view member;
    /// The schema's `description` of the member, for the model; empty: none.
    std::string_view description{};
    /// The member's name in JSON; empty: the C++ name.
    std::string_view json_name{};
};

/// What a user's described type says about itself beyond its members' names
/// and types: a description for its schema, and per member a description and
/// a JSON name. A type gets annotations from a function found by
/// argument-dependent lookup, in the type's namespace:
///
///     struct weather { std::string city; double celsius; };
///     BOOST_DESCRIBE_STRUCT(weather, (), (city, celsius))
///
///     inline dgrid::json_annotations dgrid_json_annotations(const weather*) {
///         static constexpr dgrid::member_annotation members[] = {
///             {"city", "The city's name in English"},
///             {"celsius", "Temperature in degrees Celsius", "temperature_c"},
///         };
///         return {"A weather report", members};
///     }
///
/// `json_schema<T>()`, `to_json`, `from_json` and `chat_completion::parse`
/// all follow them. Declare the function beside the type's description, so
/// that every file that uses the type sees it, and give the views static
/// storage (string literals): they are read once per type and kept. An
/// annotation naming no member, or two members with one JSON name, is an
/// error that `json_schema<T>()` reports. For a described enum only
/// `description` counts.
struct json_annotations {
    /// The schema's `description` of the type; empty: none.
    std::string_view description{};
    /// Per member, in any order; a member left out keeps its C++ name.
    std::span<const member_annotation> members{};
};

} // namespace dgrid

#endif
