#ifndef DGRID_DETAIL_DESCRIBED_MEMBER_TABLE_HPP
#define DGRID_DETAIL_DESCRIBED_MEMBER_TABLE_HPP

// Internal: the JSON names and descriptions of a described struct's members,
// its annotations applied, made once per type.

#include <dgrid/detail/described/traits.hpp>

#include <boost/mp11/algorithm.hpp>

#include <array>
#include <cstddef>
#include <string_view>

namespace dgrid::detail {

template <class T>
struct member_table {
    static constexpr std::size_t size = boost::mp11::mp_size<described_members<T>>::value;

    std::array<std::string_view, size> json_names{};   // in the order of the description
    std::array<std::string_view, size> descriptions{}; // empty: none
    std::string_view description;                      // the type's
    std::string_view unknown_annotation;               // the first annotation naming no member
    std::string_view duplicate_name;                   // a JSON name two members share
};

template <class T>
const member_table<T>& members_of() {
    static const member_table<T> table = [] {
        member_table<T> t;
        const json_annotations notes = annotations_of<T>();
        t.description = notes.description;
        std::size_t i = 0;
        boost::mp11::mp_for_each<described_members<T>>([&](auto d) { t.json_names[i++] = d.name; });
        for (const member_annotation& note : notes.members) {
            bool found = false;
            i = 0;
            boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
                if (note.member == d.name) {
                    found = true;
                    if (!note.json_name.empty())
                        t.json_names[i] = note.json_name;
                    t.descriptions[i] = note.description;
                }
                ++i;
            });
            if (!found && t.unknown_annotation.empty())
                t.unknown_annotation = note.member;
        }
        for (std::size_t a = 0; a < t.size; ++a)
            for (std::size_t b = a + 1; b < t.size; ++b)
                if (t.json_names[a] == t.json_names[b] && t.duplicate_name.empty())
                    t.duplicate_name = t.json_names[a];
        return t;
    }();
    return table;
}

} // namespace dgrid::detail

#endif
