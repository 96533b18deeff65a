#ifndef DGRID_RESPONSE_FORMAT_HPP
#define DGRID_RESPONSE_FORMAT_HPP

#include <dgrid/detail/described/schema_builder.hpp>
#include <dgrid/json_annotations.hpp>

#include <boost/json/object.hpp>

#include <string_view>

/// Values for `chat_request::response_format`.
namespace dgrid::response_format {

/// `{"type":"text"}`: plain text, the default.
inline boost::json::object text() { return {{"type", "text"}}; }

/// `{"type":"json_object"}`: any JSON object (JSON mode); say in the
/// messages what it should hold.
inline boost::json::object json_object() { return {{"type", "json_object"}}; }

/// `{"type":"json_schema","json_schema":{"name":...,"schema":...,"strict":...}}`:
/// an answer that is an instance of `T`, read back with
/// `chat_completion::parse<T>`. The schema is `dgrid::json_schema<T>()`,
/// the type's annotated description goes to `description`, and `strict` is
/// true unless `T` holds an open object (a map or free JSON), which strict
/// mode refuses. `name` is the schema's name for the model (letters, digits,
/// `_` and `-`, at most 64).
template <class T>
boost::json::object json_schema(std::string_view name) {
    static_assert(detail::described_struct<T>, "dgrid: structured outputs want an object: a struct described with "
                                               "Boost.Describe");
    detail::schema_builder builder;
    boost::json::object schema = builder.build<T>();
    boost::json::object format{{"name", name}};
    if (const auto description = detail::annotations_of<T>().description; !description.empty())
        format.emplace("description", description);
    format.emplace("schema", std::move(schema));
    format.emplace("strict", builder.strict());
    return {{"type", "json_schema"}, {"json_schema", std::move(format)}};
}

} // namespace dgrid::response_format

#endif
