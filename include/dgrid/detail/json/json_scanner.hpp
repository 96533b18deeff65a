#ifndef DGRID_DETAIL_JSON_JSON_SCANNER_HPP
#define DGRID_DETAIL_JSON_JSON_SCANNER_HPP

// Internal: the lexical half of the readers that know their document's shape
// (chunk_reader, completion_reader) and write each value straight into a
// typed object, in one pass and without a JSON tree. What it accepts,
// Boost.JSON's parser accepts and reads the same; where it could differ (a
// number only Boost.JSON converts, nesting near the parser's limit) it gives
// up, and the reader's caller then reads the text through the tree.

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace dgrid::detail {

class json_scanner {
protected:
    // A number: its text, and its value when it is an integer of at most 19
    // digits (Boost.JSON's int64, or uint64 above INT64_MAX); `other` for
    // what only Boost.JSON's own conversion may read (a fraction, an
    // exponent, `-0`, more digits).
    struct number {
        std::string_view text;
        enum class kind : std::uint8_t { int64, uint64, other } kind;
        std::uint64_t magnitude;
        bool negative;

        // The value of an `int64` number.
        std::int64_t int64() const noexcept {
            return negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
        }
    };

    // Scans `text` from its start.
    void start(std::string_view text);

    // True when only spaces are left.
    bool at_end_of_text() noexcept {
        skip_spaces();
        return p_ == end_;
    }

    // The members of an object, `p_` at its `{`: `on_member(key)` reads each
    // value. The key may be a view of `scratch_`, which the value overwrites.
    // `on_member` and `on_element` are called with `p_` at the first byte of
    // the value, which is there: value readers may look at `*p_` unchecked.
    template <class OnMember>
    bool members(OnMember&& on_member);
    // The same from a member's key on, `p_` at it (or at spaces before it).
    template <class OnMember>
    bool member_list(OnMember&& on_member);
    // The elements of an array, `p_` at its `[`.
    template <class OnElement>
    bool elements(OnElement&& on_element);

    // A string, `p_` at its opening quote: a view of the text when it has no
    // escape, else of `scratch_`. A `\u` escape of a UTF-16 surrogate without
    // its partner is read as U+FFFD, or as the surrogate's own three bytes
    // (WTF-8) while `keep_lone_surrogates_` is set (detail/json/lone_surrogates.hpp).
    bool string(std::string_view& out);
    bool read_number(number& n);
    // An integer that fits in int64; anything else is the tree's to judge.
    bool integer(std::int64_t& to);
    // `word` at `p_`, taken.
    template <std::size_t N>
    bool literal(const char (&word)[N]) noexcept {
        constexpr std::size_t size = N - 1;
        if (static_cast<std::size_t>(end_ - p_) < size || std::memcmp(p_, word, size) != 0)
            return false;
        p_ += size;
        return true;
    }
    // A value nobody reads, checked as the tree parser would check it; `depth`
    // is its nesting (1 for the top level), which must stay below the tree
    // parser's limit.
    bool skip_value(std::size_t depth);
    // A value of any type, as the tree parser makes it, in the default resource.
    bool any_value(std::size_t depth, boost::json::value& out);

    bool at(char c) const noexcept { return p_ != end_ && *p_ == c; }

    // The next byte that is not a space, 0 at the end. Documents are written
    // without spaces: one comparison finds none, and the loop is out of line.
    char peek() noexcept {
        if (p_ == end_)
            return 0;
        if (static_cast<unsigned char>(*p_) > ' ')
            return *p_;
        skip_spaces();
        return p_ == end_ ? 0 : *p_;
    }
    void skip_spaces() noexcept;

    const char* p_ = nullptr;
    const char* end_ = nullptr;
    // Where the key of the member last met by `members` starts: in
    // `on_member`, the start of that member.
    const char* key_start_ = nullptr;
    std::string scratch_; // a string with escapes, decoded
    bool keep_lone_surrogates_ = false;
    bool kept_lone_surrogate_ = false; // since start()

private:
    bool string_tail(const char* run, std::string_view& out);
    bool escape();
};

// The members of one object read so far, by their enum value (below 32). A
// reader gives up on a member named twice: the tree keeps one of the two.
class member_set {
public:
    // Marks `m` read; false when it was read before.
    template <class Member>
    bool first_time(Member m) noexcept {
        if (!lacks(m))
            return false;
        bits_ |= bit(m);
        return true;
    }

    template <class Member>
    bool lacks(Member m) const noexcept {
        return (bits_ & bit(m)) == 0;
    }

private:
    template <class Member>
    static std::uint32_t bit(Member m) noexcept {
        return std::uint32_t(1) << static_cast<unsigned>(m);
    }

    std::uint32_t bits_ = 0;
};

// Keys are told apart by their length first: one comparison of a few bytes
// per key, instead of one per candidate. `name` has the key's length.
inline bool key_is(std::string_view key, std::string_view name) noexcept {
    return std::memcmp(key.data(), name.data(), name.size()) == 0;
}

template <class OnMember>
bool json_scanner::members(OnMember&& on_member) {
    if (peek() != '{')
        return false;
    ++p_;
    if (peek() == '}') {
        ++p_;
        return true;
    }
    return member_list(on_member);
}

template <class OnMember>
bool json_scanner::member_list(OnMember&& on_member) {
    char c = peek();
    for (;;) {
        key_start_ = p_;
        std::string_view key;
        if (c != '"' || !string(key) || peek() != ':')
            return false;
        ++p_;
        if (peek() == 0 || !on_member(key))
            return false;
        c = peek();
        if (c == '}') {
            ++p_;
            return true;
        }
        if (c != ',')
            return false;
        ++p_;
        c = peek();
    }
}

template <class OnElement>
bool json_scanner::elements(OnElement&& on_element) {
    if (peek() != '[')
        return false;
    ++p_;
    char c = peek();
    if (c == ']') {
        ++p_;
        return true;
    }
    for (;;) {
        if (c == 0 || !on_element())
            return false;
        c = peek();
        if (c == ']') {
            ++p_;
            return true;
        }
        if (c != ',')
            return false;
        ++p_;
        c = peek();
    }
}

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/json/json_scanner.ipp>
#endif

#endif
