#ifndef DGRID_DETAIL_DESCRIBED_WRITE_VALUE_HPP
#define DGRID_DETAIL_DESCRIBED_WRITE_VALUE_HPP

// Internal: writes a described type (and the standard types inside it) as a
// JSON tree, the inverse of read_value.

#include <dgrid/detail/described/member_table.hpp>
#include <dgrid/detail/described/read_value.hpp>
#include <dgrid/detail/described/traits.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <cstddef>
#include <string>

namespace dgrid::detail {

template <class T>
boost::json::value write_value(const T& x) {
    if constexpr (std::is_same_v<T, bool> || json_integer<T> || std::is_same_v<T, std::string> ||
                  std::is_same_v<T, boost::json::value> || std::is_same_v<T, boost::json::object>) {
        return boost::json::value(x);
    } else if constexpr (std::is_floating_point_v<T>) {
        // NaN and infinities have no JSON form.
        return std::isfinite(x) ? boost::json::value(static_cast<double>(x)) : boost::json::value(nullptr);
    } else if constexpr (is_optional<T>) {
        return x ? write_value(*x) : boost::json::value(nullptr);
    } else if constexpr (is_vector<T>) {
        boost::json::array array;
        array.reserve(x.size());
        for (const auto& item : x)
            array.push_back(write_value(item));
        return array;
    } else if constexpr (is_string_map<T>) {
        boost::json::object object;
        for (const auto& [key, value] : x)
            object.emplace(key, write_value(value));
        return object;
    } else if constexpr (described_enum<T>) {
        boost::json::value name(nullptr); // a value without a name has no JSON form
        boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto d) {
            if (name.is_null() && x == d.value)
                name = d.name;
        });
        return name;
    } else if constexpr (described_struct<T>) {
        const member_table<T>& table = members_of<T>();
        boost::json::object object;
        object.reserve(table.size);
        std::size_t i = 0;
        boost::mp11::mp_for_each<described_members<T>>(
            [&](auto d) { object.emplace(table.json_names[i++], write_value(x.*d.pointer)); });
        return object;
    } else {
        static_assert(unmapped<T>, "dgrid: no JSON mapping for this type (see read_value)");
        return nullptr;
    }
}

} // namespace dgrid::detail

#endif
