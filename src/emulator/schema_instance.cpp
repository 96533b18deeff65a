#include "emulator/schema_instance.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <string>
#include <string_view>

namespace dgrid::emulator {
namespace {

namespace json = boost::json;

// Below this nesting, arrays are empty and nullable values null.
constexpr int deep = 6;
// A chain of `$ref`s longer than this is a loop.
constexpr int max_depth = 64;
// The most values one instance has: a hostile schema (two members that each
// refer to the root) would otherwise double them at every level.
constexpr int max_values = 10000;

class instance_maker {
public:
    explicit instance_maker(const json::value& root) : root_(root) {}

    json::value make(const json::value& schema, std::string_view name, int depth) {
        const json::object* s = schema.if_object();
        if (s == nullptr || depth > max_depth || ++values_ > max_values)
            return nullptr;
        if (const auto* ref = s->if_contains("$ref"))
            return make(resolve(*ref), name, depth + 1);
        if (const auto* value = s->if_contains("const"))
            return *value;
        if (const auto* values = s->if_contains("enum"); values && values->is_array() && !values->get_array().empty())
            return values->get_array().front();
        if (const auto* any = s->if_contains("anyOf"); any && any->is_array())
            return make(pick(any->get_array(), depth), name, depth + 1);
        const json::value* type = s->if_contains("type");
        if (type == nullptr)
            return s->contains("properties") ? object_of(*s, depth) : json::value(nullptr);
        if (const auto* types = type->if_array())
            return of_type(first_type(*types, depth), *s, name, depth);
        if (const auto* t = type->if_string())
            return of_type(*t, *s, name, depth);
        return nullptr;
    }

private:
    const json::value& resolve(const json::value& ref) const {
        static const json::value none;
        const json::string* target = ref.if_string();
        if (target == nullptr)
            return none;
        if (*target == "#")
            return root_;
        constexpr std::string_view defs = "#/$defs/";
        const std::string_view t = *target;
        if (t.substr(0, defs.size()) != defs || !root_.is_object())
            return none;
        const auto* all = root_.get_object().if_contains("$defs");
        const auto* found = all && all->is_object() ? all->get_object().if_contains(t.substr(defs.size())) : nullptr;
        return found ? *found : none;
    }

    static bool allows_null(const json::value& schema) {
        const json::object* s = schema.if_object();
        return s && s->if_contains("type") && *s->if_contains("type") == "null";
    }

    // The first alternative, or null when nested deep and allowed.
    static const json::value& pick(const json::array& alternatives, int depth) {
        static const json::value none;
        if (alternatives.empty())
            return none;
        for (const auto& a : alternatives)
            if ((depth >= deep) == allows_null(a))
                return a;
        return alternatives.front();
    }

    static std::string_view first_type(const json::array& types, int depth) {
        for (const auto& t : types)
            if (t.is_string() && (depth >= deep) == (t.get_string() == "null"))
                return t.get_string();
        return types.empty() || !types.front().is_string() ? std::string_view("null")
                                                           : std::string_view(types.front().get_string());
    }

    json::value of_type(std::string_view type, const json::object& s, std::string_view name, int depth) {
        if (type == "object")
            return object_of(s, depth);
        if (type == "array") {
            json::array items;
            const auto* item = s.if_contains("items");
            if (item && depth < deep)
                items.push_back(make(*item, "text", depth + 1));
            return items;
        }
        if (type == "string")
            return json::string(name);
        if (type == "integer") {
            const auto* minimum = s.if_contains("minimum");
            return minimum && minimum->is_int64() ? *minimum : json::value(1);
        }
        if (type == "number")
            return 1.5;
        if (type == "boolean")
            return true;
        return nullptr;
    }

    json::value object_of(const json::object& s, int depth) {
        json::object out;
        if (const auto* properties = s.if_contains("properties"); properties && properties->is_object())
            for (const auto& [key, schema] : properties->get_object())
                out.emplace(key, make(schema, key, depth + 1));
        // A map: one entry.
        if (const auto* values = s.if_contains("additionalProperties"); values && values->is_object() && depth < deep)
            out.emplace("key", make(*values, "key", depth + 1));
        return out;
    }

    const json::value& root_;
    int values_ = 0;
};

} // namespace

json::value schema_instance(const json::value& schema) { return instance_maker(schema).make(schema, "text", 0); }

} // namespace dgrid::emulator
