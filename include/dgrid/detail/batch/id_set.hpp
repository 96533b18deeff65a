#ifndef DGRID_DETAIL_BATCH_ID_SET_HPP
#define DGRID_DETAIL_BATCH_ID_SET_HPP

// Internal: the set of a batch's `custom_id`s, 64-bit hashes in an
// open-addressing table, so that a run of a million lines needs 16 MB at
// most for it rather than a string per line. Two ids with one hash (about
// one chance in 10^7 for a million ids) would count as one.

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
    // Adds `id`; false when it was there.
    bool insert(std::string_view id) {
        if ((size_ + 1) * 2 > slots_.size())
            grow();
        return place(key_of(id));
    }

    bool contains(std::string_view id) const noexcept {
        if (slots_.empty())
            return false;
        const std::uint64_t key = key_of(id);
        for (std::size_t i = index_of(key);; i = (i + 1) & (slots_.size() - 1)) {
            if (slots_[i] == key)
                return true;
            if (slots_[i] == 0)
                return false;
        }
    }

    std::size_t size() const noexcept { return size_; }

private:
    // 0 marks an empty slot.
    static std::uint64_t key_of(std::string_view id) noexcept {
        const std::uint64_t h = fnv1a(id);
        return h == 0 ? 1 : h;
    }

    // FNV's low bits are weak: mixed before they pick a slot (splitmix64's finalizer).
    std::size_t index_of(std::uint64_t key) const noexcept {
        key ^= key >> 30;
        key *= 0xbf58476d1ce4e5b9ULL;
        key ^= key >> 27;
        key *= 0x94d049bb133111ebULL;
        key ^= key >> 31;
        return static_cast<std::size_t>(key) & (slots_.size() - 1);
    }

    bool place(std::uint64_t key) {
        for (std::size_t i = index_of(key);; i = (i + 1) & (slots_.size() - 1)) {
            if (slots_[i] == key)
                return false;
            if (slots_[i] == 0) {
                slots_[i] = key;
                ++size_;
                return true;
            }
        }
    }

    void grow() {
        std::vector<std::uint64_t> old(slots_.empty() ? 64 : slots_.size() * 2, 0);
        old.swap(slots_);
        size_ = 0;
        for (const std::uint64_t key : old)
            if (key != 0)
                place(key);
    }

    std::vector<std::uint64_t> slots_; // a power of two in size, at most half full
    std::size_t size_ = 0;
};

} // namespace dgrid::detail

#endif
