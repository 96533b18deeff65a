#ifndef DGRID_DETAIL_CHUNKS_CHUNK_READER_IPP
#define DGRID_DETAIL_CHUNKS_CHUNK_READER_IPP

#include <dgrid/detail/chunks/chunk_reader.hpp>
#include <dgrid/detail/chunks/chunk_recycling.hpp>
#include <dgrid/detail/json/json_scanner.ipp>
#include <dgrid/detail/json/wire_members.hpp>

#include <boost/mp11/algorithm.hpp>

#include <algorithm>
#include <type_traits>

namespace dgrid::detail {

namespace chunk_reading {

// Assigns unless equal: the chunks of a stream repeat their id and model.
inline void assign_if_changed(std::string& to, std::string_view v) {
    if (std::string_view(to) != v)
        to.assign(v);
}

} // namespace chunk_reading

template <class T>
constexpr chunk_reader::free_text_member chunk_reader::free_text_of(std::string_view name) noexcept {
    if constexpr (std::is_same_v<T, chunk_delta>) {
        if (name == "content")
            return free_text_member::content;
        if (name == "reasoning_content")
            return free_text_member::reasoning_content;
    } else if constexpr (std::is_same_v<T, tool_call_delta>) {
        if (name == "arguments")
            return free_text_member::arguments;
    }
    return free_text_member::none;
}

DGRID_DECL bool chunk_reader::read(std::string_view data, chat_chunk& out, string_pool& pool) {
    pool_ = &pool;
    const bool out_is_previous = prefix_out_ == &out;
    if (out_is_previous && read_changed_free_text(data, out))
        return true;
    start(data);
    data_ = data;
    out_ = &out;
    unknown_ = 0;
    extra_seen_.assign(out.extra.size(), 0);
    if (reasoning_.capacity() > max_kept_scratch)
        std::string().swap(reasoning_);
    prefix_out_ = nullptr; // until this read succeeds
    prefix_taken_ = false;
    free_text_.reset();
    const bool read = chunk_object(out_is_previous) && at_end_of_text();
    if (read && prefix_taken_) {
        prefix_out_ = &out;
        remember_free_text();
    }
    return read;
}

// `data` is the previous chunk's text with another string where its last
// free-text string was: `out` needs that string only. The bytes before and
// after it being the same, reading them would give what they gave last time.
DGRID_DECL bool chunk_reader::read_changed_free_text(std::string_view data, chat_chunk& out) {
    if (!prefix_.free_text)
        return false;
    const std::string& kept = prefix_.text;
    const std::string_view head(kept.data(), prefix_.head_size);
    const std::string_view tail(kept.data() + head.size(), kept.size() - head.size());
    if (data.size() < head.size() + tail.size() + 2 || !data.starts_with(head) || !data.ends_with(tail) ||
        data[head.size()] != '"')
        return false;
    start(std::string_view(data.data() + head.size(), data.size() - head.size()));
    std::string_view v;
    keep_lone_surrogates_ = true;
    const bool read = string(v);
    keep_lone_surrogates_ = false;
    if (!read || p_ != data.data() + (data.size() - tail.size()))
        return false;
    pool_->assign(place_in(out, *prefix_.free_text), v);
    return true;
}

// After a read that kept the prefix: the bytes around its last free-text
// string, for the next read.
DGRID_DECL void chunk_reader::remember_free_text() {
    prefix_.free_text.reset();
    prefix_.text.resize(prefix_.prefix_size);
    if (!free_text_)
        return;
    const auto head_size = static_cast<std::size_t>(free_text_start_ - data_.data());
    const auto tail_size = static_cast<std::size_t>(data_.data() + data_.size() - free_text_end_);
    if (head_size > max_prefix_size || tail_size > max_tail_size)
        return;
    prefix_.text.assign(data_.data(), head_size);
    prefix_.text.append(free_text_end_, tail_size);
    prefix_.head_size = head_size;
    prefix_.free_text = free_text_;
}

// The members an object did not have are emptied (their buffers kept), so
// that a member seen again in the next event is overwritten in place.
DGRID_DECL bool chunk_reader::chunk_object(bool out_is_previous) {
    chat_chunk& c = *out_;
    member_set seen;
    const auto on_member = [&](std::string_view key) {
        if (!prefix_taken_ && key == "choices")
            remember_prefix(seen);
        bool ok = false;
        if (typed_member(c, key, {}, seen, 2, ok))
            return ok;
        return key != "error" && extra_member(key); // the tree reads errors
    };
    bool read = false;
    const std::string_view prefix = std::string_view(prefix_.text).substr(0, prefix_.prefix_size);
    if (out_is_previous && data_.starts_with(prefix) && prefix_.extra_seen.size() <= extra_seen_.size()) {
        // `out` holds what these bytes gave last time: go on after them.
        p_ += prefix.size();
        seen = prefix_.seen;
        unknown_ = prefix_.unknown;
        std::copy(prefix_.extra_seen.begin(), prefix_.extra_seen.end(), extra_seen_.begin());
        prefix_taken_ = true;
        read = member_list(on_member);
    } else {
        read = members(on_member);
    }
    if (!read)
        return false;
    vacate_absent(c, seen); // missing `choices` is no choices (docs/wire.md, "Choices null or missing")
    // Members of the previous chunk that this one lacks: the tree reader
    // removes them.
    return c.extra.size() == unknown_;
}

// Called at the `choices` member of a chunk read from its start.
DGRID_DECL void chunk_reader::remember_prefix(const member_set& seen) {
    const auto size = static_cast<std::size_t>(key_start_ - data_.data());
    if (size > max_prefix_size)
        return;
    prefix_.text.assign(data_.data(), size);
    prefix_.prefix_size = size;
    prefix_.seen = seen;
    prefix_.unknown = unknown_;
    prefix_.extra_seen = extra_seen_;
    prefix_taken_ = true;
}

template <described_struct T>
bool chunk_reader::object(T& out, std::size_t depth) {
    member_set seen;
    out.extra.clear();
    const bool read = members([&](std::string_view key) {
        bool ok = false;
        if (typed_member(out, key, {}, seen, depth, ok))
            return ok;
        if (const std::optional<bool> wire = wire_member(out, key, seen, depth))
            return *wire;
        return nested_extra(out.extra, key, depth);
    });
    if (read)
        vacate_absent(out, seen);
    return read;
}

template <described_struct T>
bool chunk_reader::typed_member(T& out, std::string_view key, std::string_view parent, member_set& seen,
                                std::size_t depth, bool& read) {
    bool found = false;
    int i = 0;
    boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
        constexpr std::string_view name = decltype(d)::name;
        if constexpr (name != "extra") {
            if (!found && wire_parent<T>(name) == parent && key.size() == name.size() && key_is(key, name)) {
                found = true;
                if (!seen.first_time(i))
                    read = false;
                else if constexpr (constexpr free_text_member m = free_text_of<T>(name); m != free_text_member::none)
                    read = free_text(out.*d.pointer, m);
                else
                    read = value(out.*d.pointer, depth);
            }
        }
        ++i;
    });
    return found;
}

template <described_struct T>
void chunk_reader::vacate_absent(T& out, const member_set& seen) {
    int i = 0;
    boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
        using member_type = std::remove_cvref_t<decltype(out.*d.pointer)>;
        if constexpr (!std::is_same_v<member_type, std::int64_t> && !std::is_same_v<member_type, boost::json::object>) {
            if (seen.lacks(i))
                vacate(*pool_, out.*d.pointer);
        }
        ++i;
    });
}

// `reasoning` is read aside, and decided on at the end of its delta.
DGRID_DECL std::optional<bool> chunk_reader::wire_member(chunk_delta&, std::string_view key, member_set& seen,
                                                         std::size_t) {
    if (key != "reasoning")
        return std::nullopt;
    if (!seen.first_time(boost::mp11::mp_size<described_members<chunk_delta>>::value))
        return false;
    if (*p_ == 'n')
        return literal("null");
    std::string_view v;
    keep_lone_surrogates_ = true; // free text, which reasoning_content takes
    const bool read = *p_ == '"' && string(v);
    keep_lone_surrogates_ = false;
    if (!read)
        return false;
    string_pool::grow(reasoning_, v.size());
    reasoning_.assign(v);
    has_reasoning_ = true;
    return true;
}

// `function` holds a fragment's `name` and `arguments`; its other members are
// skipped (it has no `extra`). Those it lacks are emptied with the fragment's.
DGRID_DECL std::optional<bool> chunk_reader::wire_member(tool_call_delta& call, std::string_view key, member_set& seen,
                                                         std::size_t depth) {
    if (key != "function")
        return std::nullopt;
    if (!seen.first_time(boost::mp11::mp_size<described_members<tool_call_delta>>::value))
        return false;
    if (*p_ == 'n')
        return literal("null");
    return members([&](std::string_view k) {
        bool ok = false;
        if (typed_member(call, k, "function", seen, depth + 1, ok))
            return ok;
        return skip_value(depth + 1);
    });
}

DGRID_DECL bool chunk_reader::value(std::int64_t& to, std::size_t) {
    return *p_ == 'n' ? literal("null") : integer(to);
}

DGRID_DECL bool chunk_reader::value(std::optional<std::int64_t>& to, std::size_t) {
    if (*p_ == 'n') {
        to.reset();
        return literal("null");
    }
    std::int64_t v = 0;
    if (!integer(v))
        return false;
    to = v;
    return true;
}

DGRID_DECL bool chunk_reader::value(std::optional<usage>& to, std::size_t) {
    to.reset();
    return literal("null");
}

DGRID_DECL bool chunk_reader::value(boost::json::value& to, std::size_t) {
    to = nullptr;
    return literal("null");
}

DGRID_DECL bool chunk_reader::value(chunk_delta& delta, std::size_t depth) {
    if (*p_ == 'n') {
        vacate(*pool_, delta);
        return literal("null");
    }
    has_reasoning_ = false;
    if (!object(delta, depth + 1))
        return false;
    // docs/wire.md, "Reasoning under two names": `reasoning` stands for an
    // absent or empty `reasoning_content`.
    if (has_reasoning_ && (!delta.reasoning_content || delta.reasoning_content->empty()))
        pool_->assign(delta.reasoning_content, reasoning_);
    // Then `reasoning_content` depends on another member: not free text.
    if (has_reasoning_ && free_text_ && free_text_->m == free_text_member::reasoning_content &&
        free_text_->choice == choice_at_)
        free_text_.reset();
    return true;
}

// Choices or tool call fragments, read over the previous chunk's.
template <described_struct T>
bool chunk_reader::value(std::vector<T>& items, std::size_t depth) {
    if (*p_ == 'n') {
        vacate(*pool_, items); // docs/wire.md, "Choices null or missing"
        return literal("null");
    }
    std::size_t count = 0;
    const bool read = elements([&] {
        if (++count > items.size())
            items.emplace_back();
        T& item = items[count - 1];
        (std::is_same_v<T, chunk_choice> ? choice_at_ : call_at_) = count - 1;
        item.index = static_cast<std::int64_t>(count - 1); // when `index` is missing
        return object(item, depth + 2);
    });
    if (read)
        vacate(*pool_, items, count);
    return read;
}

// An unknown top-level member, kept in `extra` in place: members such as
// `service_tier` come in every chunk. Scalars and strings only; a member
// named twice in one event goes to the tree, which keeps one of the two.
DGRID_DECL bool chunk_reader::extra_member(std::string_view key) {
    boost::json::object& extra = out_->extra;
    std::size_t i = 0;
    const boost::json::string_view name(key.data(), key.size());
    if (auto it = extra.find(name); it != extra.end()) {
        i = static_cast<std::size_t>(it - extra.begin());
    } else {
        extra.emplace(name, nullptr);
        i = extra.size() - 1;
        extra_seen_.push_back(0);
    }
    if (extra_seen_[i] != 0)
        return false;
    extra_seen_[i] = 1;
    ++unknown_;
    boost::json::value& value = extra.begin()[i].value();
    if (*p_ == '"') {
        std::string_view v;
        if (!string(v))
            return false;
        if (boost::json::string* s = value.if_string()) {
            string_pool::grow(*s, v.size());
            s->assign(v.data(), v.size());
        } else {
            value = boost::json::string_view(v.data(), v.size());
        }
        return true;
    }
    return *p_ != '{' && *p_ != '[' && any_value(2, value);
}

// An unknown member of a choice, a delta or a tool call, into its `extra`
// (`depth`: its value's). The member is placed before its value is read: the
// key may be a view of the scanner's buffer, which the value may overwrite.
// A key named twice goes to the tree.
DGRID_DECL bool chunk_reader::nested_extra(boost::json::object& extra, std::string_view key, std::size_t depth) {
    auto [it, inserted] = extra.emplace(boost::json::string_view(key.data(), key.size()), nullptr);
    return inserted && any_value(depth, it->value());
}

DGRID_DECL bool chunk_reader::text(std::string& to) {
    if (*p_ == 'n') {
        to.clear();
        return literal("null");
    }
    std::string_view v;
    if (*p_ != '"' || !string(v))
        return false;
    chunk_reading::assign_if_changed(to, v);
    return true;
}

DGRID_DECL bool chunk_reader::optional_text(std::optional<std::string>& to) {
    if (*p_ == 'n') {
        pool_->put(to);
        return literal("null");
    }
    std::string_view v;
    if (*p_ != '"' || !string(v))
        return false;
    pool_->assign(to, v);
    return true;
}

DGRID_DECL std::optional<std::string>& chunk_reader::place_in(chat_chunk& c, const free_text_place& place) noexcept {
    chunk_delta& delta = c.choices[place.choice].delta;
    switch (place.m) {
    case free_text_member::content: return delta.content;
    case free_text_member::reasoning_content: return delta.reasoning_content;
    default: return delta.tool_calls[place.call].arguments;
    }
}

DGRID_DECL bool chunk_reader::free_text(std::optional<std::string>& to, free_text_member m) {
    const char* const start = p_;
    keep_lone_surrogates_ = true; // for surrogate_mender
    const bool read = optional_text(to);
    keep_lone_surrogates_ = false;
    if (!read)
        return false;
    if (*start == '"') {
        free_text_ = free_text_place{m, choice_at_, call_at_};
        free_text_start_ = start;
        free_text_end_ = p_;
    }
    return true;
}

} // namespace dgrid::detail

#endif
