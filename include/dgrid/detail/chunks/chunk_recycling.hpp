#ifndef DGRID_DETAIL_CHUNKS_CHUNK_RECYCLING_HPP
#define DGRID_DETAIL_CHUNKS_CHUNK_RECYCLING_HPP

// Internal: emptying the members of a chunk while keeping their buffers, for
// the next event's chunk to reuse; by the types' descriptions.

#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/detail/described/traits.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace dgrid::detail {

// Absent optional strings go to the pool; strings, vectors and objects keep
// their capacity.
inline void vacate(string_pool&, std::string& s) noexcept { s.clear(); }
inline void vacate(string_pool& pool, std::optional<std::string>& s) { pool.put(s); }
template <class T>
void vacate(string_pool&, std::optional<T>& o) noexcept {
    o.reset();
}
inline void vacate(string_pool&, std::int64_t& i) noexcept { i = 0; }
inline void vacate(string_pool&, boost::json::value& v) noexcept { v = nullptr; }
inline void vacate(string_pool&, boost::json::object& o) noexcept { o.clear(); }

// The elements from `from` on are emptied, then dropped: the vector keeps
// its capacity.
template <class T>
void vacate(string_pool& pool, std::vector<T>& items, std::size_t from = 0);

template <described_struct T>
void vacate(string_pool& pool, T& x) {
    boost::mp11::mp_for_each<described_members<T>>([&](auto d) { vacate(pool, x.*d.pointer); });
}

template <class T>
void vacate(string_pool& pool, std::vector<T>& items, std::size_t from) {
    for (std::size_t i = from; i < items.size(); ++i)
        vacate(pool, items[i]);
    items.resize(from);
}

// A chunk before the tree reader fills it: its choices stay, emptied, so
// that each keeps its tool_calls vector's capacity; `extra` is updated in
// place by the readers.
inline void recycle(string_pool& pool, chat_chunk& c) {
    boost::mp11::mp_for_each<described_members<chat_chunk>>([&](auto d) {
        auto& member = c.*d.pointer;
        using member_type = std::remove_cvref_t<decltype(member)>;
        if constexpr (std::is_same_v<member_type, std::vector<chunk_choice>>) {
            for (chunk_choice& choice : member)
                vacate(pool, choice);
        } else if constexpr (!std::is_same_v<member_type, boost::json::object>) {
            vacate(pool, member);
        }
    });
}

} // namespace dgrid::detail

#endif
