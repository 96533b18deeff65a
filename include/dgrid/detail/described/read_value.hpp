#ifndef DGRID_DETAIL_DESCRIBED_READ_VALUE_HPP
#define DGRID_DETAIL_DESCRIBED_READ_VALUE_HPP

// Internal: reads a JSON tree into a described type (and the standard types
// inside it), stopping at the first mismatch with its path.

#include <dgrid/detail/described/member_table.hpp>
#include <dgrid/detail/described/traits.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace dgrid::detail {

// Where a read is, and what went wrong there: `path` is `items[2].name`,
// empty at the top level.
struct read_context {
    std::string path;
    std::string what;

    std::size_t enter_member(std::string_view name) {
        const std::size_t mark = path.size();
        if (!path.empty())
            path += '.';
        path += name;
        return mark;
    }
    std::size_t enter_index(std::size_t i) {
        const std::size_t mark = path.size();
        path += '[';
        path += std::to_string(i);
        path += ']';
        return mark;
    }
    void leave(std::size_t mark) { path.resize(mark); }

    bool fail(std::string why) {
        what = std::move(why);
        return false;
    }

    // `items[2].name: expected string`, or `top level: ...`.
    std::string message() const { return (path.empty() ? std::string("top level") : path) + ": " + what; }
};

template <class T>
inline constexpr bool unmapped = false;

template <class T>
bool read_value(const boost::json::value& v, T& out, read_context& c);

template <json_integer T>
bool read_integer(const boost::json::value& v, T& out, read_context& c) {
    if (v.is_int64() && std::in_range<T>(v.get_int64())) {
        out = static_cast<T>(v.get_int64());
        return true;
    }
    if (v.is_uint64() && std::in_range<T>(v.get_uint64())) {
        out = static_cast<T>(v.get_uint64());
        return true;
    }
    // A model may write 3.0 for 3: an integral double is taken.
    if (v.is_double()) {
        const double d = v.get_double();
        if (d == std::trunc(d) && d >= -9.2e18 && d <= 9.2e18 && std::in_range<T>(static_cast<std::int64_t>(d))) {
            out = static_cast<T>(static_cast<std::int64_t>(d));
            return true;
        }
    }
    return c.fail(v.is_number() ? "integer out of range or not whole" : "expected integer");
}

template <described_enum T>
bool read_enum(const boost::json::value& v, T& out, read_context& c) {
    if (!v.is_string())
        return c.fail("expected string");
    const std::string_view text = v.get_string();
    bool found = false;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto d) {
        if (!found && text == d.name) {
            out = d.value;
            found = true;
        }
    });
    return found || c.fail("not one of the enum's names");
}

template <described_struct T>
bool read_struct(const boost::json::value& v, T& out, read_context& c) {
    if (!v.is_object())
        return c.fail("expected object");
    const boost::json::object& object = v.get_object();
    const member_table<T>& table = members_of<T>();
    bool ok = true;
    std::size_t i = 0;
    boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
        const std::string_view name = table.json_names[i++];
        if (!ok)
            return;
        auto& member = out.*d.pointer;
        const std::size_t mark = c.enter_member(name);
        const auto found = object.find(name);
        if (found != object.end()) {
            ok = read_value(found->value(), member, c);
        } else if constexpr (is_optional<std::remove_cvref_t<decltype(member)>>) {
            member.reset();
        } else {
            ok = c.fail("missing");
        }
        if (ok)
            c.leave(mark);
    });
    return ok;
}

template <class T>
bool read_value(const boost::json::value& v, T& out, read_context& c) {
    if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_bool())
            return c.fail("expected boolean");
        out = v.get_bool();
        return true;
    } else if constexpr (json_integer<T>) {
        return read_integer(v, out, c);
    } else if constexpr (std::is_floating_point_v<T>) {
        if (!v.is_number())
            return c.fail("expected number");
        out = static_cast<T>(v.to_number<double>());
        return true;
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string())
            return c.fail("expected string");
        out.assign(v.get_string().data(), v.get_string().size());
        return true;
    } else if constexpr (std::is_same_v<T, boost::json::value>) {
        out = v;
        return true;
    } else if constexpr (std::is_same_v<T, boost::json::object>) {
        if (!v.is_object())
            return c.fail("expected object");
        out = v.get_object();
        return true;
    } else if constexpr (is_optional<T>) {
        if (v.is_null()) {
            out.reset();
            return true;
        }
        return read_value(v, out.emplace(), c);
    } else if constexpr (is_vector<T>) {
        if (!v.is_array())
            return c.fail("expected array");
        const boost::json::array& array = v.get_array();
        out.clear();
        out.reserve(array.size());
        for (std::size_t i = 0; i < array.size(); ++i) {
            const std::size_t mark = c.enter_index(i);
            if constexpr (std::is_same_v<typename T::value_type, bool>) { // no reference to an element
                bool b = false;
                if (!read_value(array[i], b, c))
                    return false;
                out.push_back(b);
            } else if (!read_value(array[i], out.emplace_back(), c)) {
                return false;
            }
            c.leave(mark);
        }
        return true;
    } else if constexpr (is_string_map<T>) {
        if (!v.is_object())
            return c.fail("expected object");
        out.clear();
        for (const auto& [key, value] : v.get_object()) {
            const std::size_t mark = c.enter_member(key);
            if (!read_value(value, out[std::string(key)], c))
                return false;
            c.leave(mark);
        }
        return true;
    } else if constexpr (described_enum<T>) {
        return read_enum(v, out, c);
    } else if constexpr (described_struct<T>) {
        return read_struct(v, out, c);
    } else {
        static_assert(unmapped<T>, "dgrid: no JSON mapping for this type; use bool, integers, floating point, "
                                   "std::string, std::optional, std::vector, std::map<std::string, T>, "
                                   "boost::json::value or object, or a type described with Boost.Describe");
        return false;
    }
}

} // namespace dgrid::detail

#endif
