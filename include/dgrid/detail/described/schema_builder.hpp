#ifndef DGRID_DETAIL_DESCRIBED_SCHEMA_BUILDER_HPP
#define DGRID_DETAIL_DESCRIBED_SCHEMA_BUILDER_HPP

// Internal: the JSON Schema of a described type, as OpenAI's structured
// outputs accept it: objects closed (`additionalProperties: false`) with
// every property required, optionals as a union with null, recursion through
// `$defs`.

#include <dgrid/detail/described/member_table.hpp>
#include <dgrid/detail/described/read_value.hpp>
#include <dgrid/detail/described/traits.hpp>

#include <boost/core/demangle.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

namespace dgrid::detail {

class schema_builder {
public:
    // The schema of `T`, with the `$defs` its recursion needs. Throws
    // std::invalid_argument when an annotation names no member.
    template <class T>
    boost::json::object build() {
        root_ = &typeid(T);
        boost::json::value schema = schema_of<T>();
        boost::json::object defs;
        // A definition may refer to others not yet written: write until none is left.
        for (std::size_t i = 0; i < defs_.size(); ++i) {
            boost::json::value body = defs_[i].write(*this);
            defs.emplace(defs_[i].name, std::move(body));
        }
        if (!error_.empty())
            throw std::invalid_argument(error_);
        boost::json::object result = std::move(schema.as_object());
        if (!defs.empty())
            result.emplace("$defs", std::move(defs));
        return result;
    }

    // Whether the schema fits the strict mode of structured outputs and tool
    // calls, which allows only closed objects: no maps, no free JSON.
    bool strict() const noexcept { return strict_; }

private:
    struct definition {
        const std::type_info* type;
        std::string name;
        boost::json::value (*write)(schema_builder&);
    };

    static boost::json::object of_type(const char* type) { return {{"type", type}}; }

    template <class T>
    boost::json::value schema_of() {
        if constexpr (std::is_same_v<T, bool>) {
            return of_type("boolean");
        } else if constexpr (json_integer<T>) {
            return of_type("integer");
        } else if constexpr (std::is_floating_point_v<T>) {
            return of_type("number");
        } else if constexpr (std::is_same_v<T, std::string>) {
            return of_type("string");
        } else if constexpr (std::is_same_v<T, boost::json::value>) {
            strict_ = false;
            return boost::json::object();
        } else if constexpr (std::is_same_v<T, boost::json::object>) {
            strict_ = false;
            return of_type("object");
        } else if constexpr (is_optional<T>) {
            return or_null(schema_of<typename T::value_type>());
        } else if constexpr (is_vector<T>) {
            boost::json::object o = of_type("array");
            o.emplace("items", schema_of<typename T::value_type>());
            return o;
        } else if constexpr (is_string_map<T>) {
            strict_ = false;
            boost::json::object o = of_type("object");
            o.emplace("additionalProperties", schema_of<typename T::mapped_type>());
            return o;
        } else if constexpr (described_enum<T>) {
            boost::json::array names;
            boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>(
                [&](auto d) { names.push_back(d.name); });
            boost::json::object o = of_type("string");
            o.emplace("enum", std::move(names));
            describe(o, annotations_of<T>().description);
            return o;
        } else if constexpr (described_struct<T>) {
            return struct_or_reference<T>();
        } else {
            static_assert(unmapped<T>, "dgrid: no JSON mapping for this type (see read_value)");
            return nullptr;
        }
    }

    // A primitive's type list gains "null" (and an enum's list null); anything
    // else becomes `anyOf` with null.
    static boost::json::value or_null(boost::json::value schema) {
        boost::json::object& o = schema.as_object();
        const auto type = o.find("type");
        if (type != o.end() && type->value().is_string() && type->value() != "object" && type->value() != "array") {
            type->value() = boost::json::array{type->value(), "null"};
            if (const auto names = o.find("enum"); names != o.end())
                names->value().as_array().push_back(nullptr);
            return schema;
        }
        return boost::json::object{{"anyOf", boost::json::array{std::move(schema), of_type("null")}}};
    }

    static void describe(boost::json::object& o, std::string_view description) {
        if (!description.empty())
            o.emplace("description", description);
    }

    template <class T>
    boost::json::value struct_or_reference() {
        const std::type_info& type = typeid(T);
        if (std::find_if(open_.begin(), open_.end(), [&](auto* t) { return *t == type; }) == open_.end())
            return struct_schema<T>();
        // Recursion: to the root, or to a definition of the type.
        if (type == *root_)
            return boost::json::object{{"$ref", "#"}};
        auto known = std::find_if(defs_.begin(), defs_.end(), [&](const definition& d) { return *d.type == type; });
        if (known == defs_.end())
            known = defs_.insert(defs_.end(),
                                 {&type, definition_name(type),
                                  [](schema_builder& b) -> boost::json::value { return b.struct_schema<T>(); }});
        return boost::json::object{{"$ref", "#/$defs/" + known->name}};
    }

    // The C++ name, its characters that a `$ref` cannot hold (`::`, `<>`,
    // spaces) made `_`, and a number after it if another type has it.
    std::string definition_name(const std::type_info& type) const {
        std::string name = boost::core::demangle(type.name());
        for (char& ch : name)
            if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_')
                ch = '_';
        const std::string base = name;
        for (int n = 2; std::any_of(defs_.begin(), defs_.end(), [&](const definition& d) { return d.name == name; });
             ++n)
            name = base + "_" + std::to_string(n);
        return name;
    }

    template <class T>
    boost::json::value struct_schema() {
        open_.push_back(&typeid(T));
        const member_table<T>& table = members_of<T>();
        if (!table.unknown_annotation.empty() && error_.empty())
            error_ = "dgrid_json_annotations of " + boost::core::demangle(typeid(T).name()) + " names no member `" +
                     std::string(table.unknown_annotation) + "`";
        if (!table.duplicate_name.empty() && error_.empty())
            error_ = "two members of " + boost::core::demangle(typeid(T).name()) + " have the JSON name `" +
                     std::string(table.duplicate_name) + "`";
        boost::json::object properties;
        boost::json::array required;
        std::size_t i = 0;
        boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
            using member_type = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
            boost::json::value schema = schema_of<member_type>();
            // The member's description says more than its type's.
            if (!table.descriptions[i].empty())
                schema.as_object()["description"] = table.descriptions[i];
            properties.emplace(table.json_names[i], std::move(schema));
            required.push_back(boost::json::string(table.json_names[i]));
            ++i;
        });
        open_.pop_back();
        boost::json::object o = of_type("object");
        describe(o, table.description);
        o.emplace("properties", std::move(properties));
        o.emplace("required", std::move(required));
        o.emplace("additionalProperties", false);
        return o;
    }

    const std::type_info* root_ = nullptr;
    std::vector<const std::type_info*> open_; // the structs being written, outermost first
    std::vector<definition> defs_;            // recursive structs, written under `$defs`
    std::string error_;
    bool strict_ = true;
};

} // namespace dgrid::detail

#endif
