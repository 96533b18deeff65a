#ifndef DGRID_DETAIL_BATCH_ID_SET_HPP
#define DGRID_DETAIL_BATCH_ID_SET_HPP

// Internal: the `custom_id`s of a batch with two marks each (in the files of
// an earlier run, in this run's input), as 62-bit hashes in one
// open-addressing table: a run of a million lines needs about 10 MB for it
// rather than a string per line. Two ids with one hash (about one chance in
// 10^7 for a million ids) would count as one.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace dgrid::detail {

// FNV-1a, 64 bits: the same on every machine, for shards.
inline std::uint64_t fnv1a(std::string_view bytes) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

class id_set {
public:
    // The marks an id carries; 0 for an id not in the set.
    using marks = unsigned;
    static constexpr marks in_files = 1; // answered or reported by an earlier run
    static constexpr marks in_input = 2; // on a line of this run's input

    // Room for `count` ids without growing: the table is sized once when the
    // input's length is known, so it never holds two tables at a time.
    void reserve(std::size_t count) {
        const std::size_t slots = count * max_load_den / max_load_num + 1;
        if (slots > slots_.size())
            rehash(slots);
    }

    // Adds `mark` to `id`'s marks (adding `id` when absent); returns the marks
    // it had before.
    marks mark(std::string_view id, marks mark) {
        if ((size_ + 1) * max_load_den > slots_.size() * max_load_num)
            rehash(slots_.empty() ? 64 : slots_.size() * 2);
        const std::uint64_t hash = hash_of(id);
        std::uint64_t& slot = slots_[slot_of(hash)];
        if (slot == 0) {
            ++size_;
            slot = hash;
        }
        const marks before = marks_of(slot);
        slot |= std::uint64_t{mark} << mark_shift;
        return before;
    }

    marks marks_of(std::string_view id) const noexcept {
        if (slots_.empty())
            return 0;
        return marks_of(slots_[slot_of(hash_of(id))]);
    }

    std::size_t size() const noexcept { return size_; }

    // Bytes of the table, for tests of its density.
    std::size_t capacity_bytes() const noexcept { return slots_.capacity() * sizeof(std::uint64_t); }

private:
    // Linear probing stays short up to 80 % full.
    static constexpr std::size_t max_load_num = 4;
    static constexpr std::size_t max_load_den = 5;
    static constexpr int mark_shift = 62;
    static constexpr std::uint64_t hash_mask = (std::uint64_t{1} << mark_shift) - 1;

    // 0 marks an empty slot, so a hash is never 0.
    static std::uint64_t hash_of(std::string_view id) noexcept {
        const std::uint64_t h = fnv1a(id) & hash_mask;
        return h == 0 ? 1 : h;
    }

    static marks marks_of(std::uint64_t slot) noexcept { return static_cast<marks>(slot >> mark_shift); }

    // FNV's low bits are weak: mixed before they pick a slot (splitmix64's
    // finalizer). Any table size will do (a remainder, not a mask), so that a
    // reserved table is no larger than its load needs.
    std::size_t index_of(std::uint64_t hash) const noexcept {
        hash ^= hash >> 30;
        hash *= 0xbf58476d1ce4e5b9ULL;
        hash ^= hash >> 27;
        hash *= 0x94d049bb133111ebULL;
        hash ^= hash >> 31;
        return static_cast<std::size_t>(hash % slots_.size());
    }

    // The slot holding `hash`, or the empty one where it would go.
    std::size_t slot_of(std::uint64_t hash) const noexcept {
        for (std::size_t i = index_of(hash);; i = i + 1 == slots_.size() ? 0 : i + 1)
            if (slots_[i] == 0 || (slots_[i] & hash_mask) == hash)
                return i;
    }

    void rehash(std::size_t slots) {
        std::vector<std::uint64_t> old(slots, 0);
        old.swap(slots_);
        for (const std::uint64_t slot : old)
            if (slot != 0)
                slots_[slot_of(slot & hash_mask)] = slot;
    }

    std::vector<std::uint64_t> slots_; // at most 80 % full
    std::size_t size_ = 0;
};

} // namespace dgrid::detail

#endif
