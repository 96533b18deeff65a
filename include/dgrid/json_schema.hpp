#ifndef DGRID_JSON_SCHEMA_HPP
#define DGRID_JSON_SCHEMA_HPP

#include <dgrid/detail/described/schema_builder.hpp>
#include <dgrid/json_annotations.hpp>

#include <boost/json/object.hpp>

namespace dgrid {

/// The JSON Schema of `T`, a type described with Boost.Describe
/// (`BOOST_DESCRIBE_STRUCT`, `BOOST_DESCRIBE_ENUM`), in the form OpenAI's
/// structured outputs and strict tools accept:
/// - `bool`: boolean; integers: integer; `float`, `double`: number;
///   `std::string`: string;
/// - a described enum: a string with its enumerators' names as `enum`;
/// - a described struct: an object with every member a required property,
///   `additionalProperties: false`, names and descriptions from its
///   `json_annotations`;
/// - `std::optional<U>`: U's schema or null (`"type": ["string", "null"]`
///   for a primitive, `anyOf` otherwise), still required, as strict mode wants;
/// - `std::vector<U>`: an array of U;
/// - `std::map<std::string, U>`: an object whose values are U, and
///   `boost::json::value` / `boost::json::object`: any value / any object.
///   Strict mode refuses open objects, so a type holding one gets a schema
///   that `response_format::json_schema` and `tool::function` mark not strict;
/// - a struct that holds itself (through a vector or optional): `$ref` to
///   `#`, or to an entry of `$defs` named after the C++ type (`ns::node`
///   as `ns__node`).
/// A member's range is not in the schema: a value out of its type's range
/// is a `type_mismatch` when read. Throws `std::invalid_argument` when an
/// annotation names no member or two members share a JSON name.
template <class T>
boost::json::object json_schema() {
    return detail::schema_builder().build<T>();
}

} // namespace dgrid

#endif
