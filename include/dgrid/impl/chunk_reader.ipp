#ifndef DGRID_IMPL_CHUNK_READER_IPP
#define DGRID_IMPL_CHUNK_READER_IPP

#include <dgrid/detail/chunk_reader.hpp>
#include <dgrid/detail/chunk_recycling.hpp>
#include <dgrid/detail/json_text.hpp>
#include <dgrid/impl/json.hpp>

#include <boost/json/parse.hpp>

#include <cstring>
#include <limits>

namespace dgrid::detail {

namespace chunk_reading {

// A string with escapes is decoded into a buffer kept from event to event;
// one that grew past this (a multi-megabyte image) is not kept.
inline constexpr std::size_t max_kept_text = 64 * 1024;

inline std::uint32_t bit(auto m) noexcept { return std::uint32_t(1) << static_cast<unsigned>(m); }

// Marks `m` read in its object; false when it was read before (the tree keeps
// one of the two, this reader would see both).
inline bool first_time(std::uint32_t& seen, auto m) noexcept {
    if ((seen & bit(m)) != 0)
        return false;
    seen |= bit(m);
    return true;
}

inline bool lacks(std::uint32_t seen, auto m) noexcept { return (seen & bit(m)) == 0; }

// Assigns unless equal: the chunks of a stream repeat their id and model.
inline void assign_if_changed(std::string& to, std::string_view v) {
    if (std::string_view(to) != v)
        to.assign(v);
}

inline bool equals(std::string_view key, std::string_view name) noexcept {
    return std::memcmp(key.data(), name.data(), name.size()) == 0;
}

} // namespace chunk_reading

// Keys are told apart by their length first: one comparison of a few bytes
// per key, instead of one per candidate.
DGRID_DECL chunk_reader::member chunk_reader::chunk_member(std::string_view key) noexcept {
    using chunk_reading::equals;
    switch (key.size()) {
    case 2: return equals(key, "id") ? member::id : member::extra;
    case 5:
        if (equals(key, "model"))
            return member::model;
        if (equals(key, "usage"))
            return member::usage;
        return equals(key, "error") ? member::unreadable : member::extra;
    case 6: return equals(key, "object") ? member::object : member::extra;
    case 7:
        if (equals(key, "created"))
            return member::created;
        return equals(key, "choices") ? member::choices : member::extra;
    case 18: return equals(key, "system_fingerprint") ? member::system_fingerprint : member::extra;
    default: return member::extra;
    }
}

DGRID_DECL chunk_reader::member chunk_reader::choice_member(std::string_view key) noexcept {
    using chunk_reading::equals;
    switch (key.size()) {
    case 5:
        if (equals(key, "index"))
            return member::choice_index;
        return equals(key, "delta") ? member::delta : member::skipped;
    case 8: return equals(key, "logprobs") ? member::logprobs : member::skipped;
    case 13: return equals(key, "finish_reason") ? member::finish_reason : member::skipped;
    default: return member::skipped;
    }
}

DGRID_DECL chunk_reader::member chunk_reader::delta_member(std::string_view key) noexcept {
    using chunk_reading::equals;
    switch (key.size()) {
    case 4: return equals(key, "role") ? member::role : member::skipped;
    case 7: return equals(key, "content") ? member::content : member::skipped;
    case 9: return equals(key, "reasoning") ? member::reasoning : member::skipped;
    case 10: return equals(key, "tool_calls") ? member::tool_calls : member::skipped;
    case 17: return equals(key, "reasoning_content") ? member::reasoning_content : member::skipped;
    default: return member::skipped;
    }
}

DGRID_DECL chunk_reader::member chunk_reader::tool_call_member(std::string_view key) noexcept {
    using chunk_reading::equals;
    switch (key.size()) {
    case 2: return equals(key, "id") ? member::call_id : member::skipped;
    case 4: return equals(key, "type") ? member::call_type : member::skipped;
    case 5: return equals(key, "index") ? member::call_index : member::skipped;
    case 8: return equals(key, "function") ? member::function : member::skipped;
    default: return member::skipped;
    }
}

DGRID_DECL chunk_reader::member chunk_reader::function_member(std::string_view key) noexcept {
    using chunk_reading::equals;
    switch (key.size()) {
    case 4: return equals(key, "name") ? member::name : member::skipped;
    case 9: return equals(key, "arguments") ? member::arguments : member::skipped;
    default: return member::skipped;
    }
}

DGRID_DECL bool chunk_reader::read(std::string_view data, chat_chunk& out, string_pool& pool) {
    p_ = data.data();
    end_ = data.data() + data.size();
    out_ = &out;
    pool_ = &pool;
    unknown_ = 0;
    extra_seen_.assign(out.extra.size(), 0);
    if (scratch_.capacity() > chunk_reading::max_kept_text)
        std::string().swap(scratch_);
    if (reasoning_.capacity() > chunk_reading::max_kept_text)
        std::string().swap(reasoning_);
    if (!chunk_object())
        return false;
    skip_spaces();
    return p_ == end_; // else something after the object
}

DGRID_DECL void chunk_reader::skip_spaces() noexcept {
    while (p_ != end_ && json_text::is_space(*p_))
        ++p_;
}

// `on_member` and `on_element` are called with `p_` at the first byte of the
// value, which is there: value readers look at `*p_` without a bounds check.
template <class OnMember>
bool chunk_reader::members(OnMember&& on_member) {
    if (peek() != '{')
        return false;
    ++p_;
    char c = peek();
    if (c == '}') {
        ++p_;
        return true;
    }
    for (;;) {
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
bool chunk_reader::elements(OnElement&& on_element) {
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

// The members an object did not have are emptied (their buffers kept), so
// that a member seen again in the next event is overwritten in place.
DGRID_DECL bool chunk_reader::chunk_object() {
    using namespace chunk_reading;
    chat_chunk& c = *out_;
    std::uint32_t seen = 0;
    const bool read = members([&](std::string_view key) {
        const member m = chunk_member(key);
        if (m == member::extra)
            return extra_member(key);
        return m != member::unreadable && first_time(seen, m) && chunk_value(m);
    });
    if (!read)
        return false;
    if (lacks(seen, member::id))
        c.id.clear();
    if (lacks(seen, member::object))
        c.object.clear();
    if (lacks(seen, member::created))
        c.created.reset();
    if (lacks(seen, member::model))
        c.model.clear();
    if (lacks(seen, member::choices))
        recycle_choices(*pool_, c.choices); // missing is no choices (WIRE.md quirk 6)
    if (lacks(seen, member::usage))
        c.usage.reset();
    if (lacks(seen, member::system_fingerprint))
        pool_->put(c.system_fingerprint);
    // Members of the previous chunk that this one lacks: the tree reader
    // removes them.
    return c.extra.size() == unknown_;
}

DGRID_DECL bool chunk_reader::chunk_value(member m) {
    chat_chunk& c = *out_;
    switch (m) {
    case member::id: return text(c.id);
    case member::object: return text(c.object);
    case member::model: return text(c.model);
    case member::system_fingerprint: return optional_text(c.system_fingerprint);
    case member::created: {
        if (*p_ == 'n') {
            c.created.reset();
            return literal("null");
        }
        std::int64_t created = 0;
        if (!index(created))
            return false;
        c.created = created;
        return true;
    }
    case member::usage:
        c.usage.reset();
        return null_only();
    case member::choices:
        if (*p_ == 'n') {
            recycle_choices(*pool_, c.choices); // WIRE.md quirk 6
            return literal("null");
        }
        return choices_array();
    default: return false;
    }
}

DGRID_DECL bool chunk_reader::choices_array() {
    auto& choices = out_->choices;
    std::size_t count = 0;
    const bool read = elements([&] {
        if (++count > choices.size())
            choices.emplace_back();
        chunk_choice& choice = choices[count - 1];
        choice.index = static_cast<std::int64_t>(count - 1); // when `index` is missing
        return choice_object(choice);
    });
    if (read)
        recycle_choices(*pool_, choices, count);
    return read;
}

DGRID_DECL bool chunk_reader::choice_object(chunk_choice& choice) {
    using namespace chunk_reading;
    std::uint32_t seen = 0;
    const bool read = members([&](std::string_view key) {
        const member m = choice_member(key);
        if (m == member::skipped)
            return skip_value(4);
        if (!first_time(seen, m))
            return false;
        switch (m) {
        case member::choice_index: return *p_ == 'n' ? literal("null") : index(choice.index);
        case member::finish_reason: return optional_text(choice.finish_reason);
        case member::logprobs: return null_only();
        case member::delta:
            if (*p_ == 'n') {
                recycle(*pool_, choice.delta);
                return literal("null");
            }
            return delta_object(choice.delta);
        default: return false;
        }
    });
    if (!read)
        return false;
    if (lacks(seen, member::delta))
        recycle(*pool_, choice.delta);
    if (lacks(seen, member::finish_reason))
        pool_->put(choice.finish_reason);
    if (!choice.logprobs.is_null()) // read by the tree reader before
        choice.logprobs = nullptr;
    return true;
}

DGRID_DECL bool chunk_reader::delta_object(chunk_delta& delta) {
    using namespace chunk_reading;
    std::uint32_t seen = 0;
    bool has_reasoning = false;
    const bool read = members([&](std::string_view key) {
        const member m = delta_member(key);
        if (m == member::skipped)
            return skip_value(5);
        if (!first_time(seen, m))
            return false;
        switch (m) {
        case member::role: return optional_text(delta.role);
        case member::content: return optional_text(delta.content);
        case member::reasoning_content: return optional_text(delta.reasoning_content);
        case member::reasoning: {
            if (*p_ == 'n')
                return literal("null");
            std::string_view v;
            if (*p_ != '"' || !string(v))
                return false;
            string_pool::grow(reasoning_, v.size());
            reasoning_.assign(v);
            has_reasoning = true;
            return true;
        }
        case member::tool_calls:
            if (*p_ == 'n') {
                recycle_tool_calls(*pool_, delta.tool_calls);
                return literal("null");
            }
            return tool_calls_array(delta.tool_calls);
        default: return false;
        }
    });
    if (!read)
        return false;
    if (lacks(seen, member::role))
        pool_->put(delta.role);
    if (lacks(seen, member::content))
        pool_->put(delta.content);
    if (lacks(seen, member::reasoning_content))
        pool_->put(delta.reasoning_content);
    if (lacks(seen, member::tool_calls))
        recycle_tool_calls(*pool_, delta.tool_calls);
    // WIRE.md quirk 8: `reasoning` stands for an absent or empty `reasoning_content`.
    if (has_reasoning && (!delta.reasoning_content || delta.reasoning_content->empty()))
        pool_->assign(delta.reasoning_content, reasoning_);
    return true;
}

DGRID_DECL bool chunk_reader::tool_calls_array(std::vector<tool_call_delta>& calls) {
    std::size_t count = 0;
    const bool read = elements([&] {
        if (++count > calls.size())
            calls.emplace_back();
        tool_call_delta& call = calls[count - 1];
        call.index = static_cast<std::int64_t>(count - 1); // when `index` is missing
        return tool_call_object(call);
    });
    if (read)
        recycle_tool_calls(*pool_, calls, count);
    return read;
}

DGRID_DECL bool chunk_reader::tool_call_object(tool_call_delta& call) {
    using namespace chunk_reading;
    std::uint32_t seen = 0;
    const bool read = members([&](std::string_view key) {
        const member m = tool_call_member(key);
        if (m == member::skipped)
            return skip_value(7);
        if (!first_time(seen, m))
            return false;
        switch (m) {
        case member::call_index: return *p_ == 'n' ? literal("null") : index(call.index);
        case member::call_id: return optional_text(call.id);
        case member::call_type: return optional_text(call.type);
        case member::function:
            if (*p_ == 'n') {
                pool_->put(call.name);
                pool_->put(call.arguments);
                return literal("null");
            }
            return function_object(call);
        default: return false;
        }
    });
    if (!read)
        return false;
    if (lacks(seen, member::call_id))
        pool_->put(call.id);
    if (lacks(seen, member::call_type))
        pool_->put(call.type);
    if (lacks(seen, member::function)) {
        pool_->put(call.name);
        pool_->put(call.arguments);
    }
    return true;
}

DGRID_DECL bool chunk_reader::function_object(tool_call_delta& call) {
    using namespace chunk_reading;
    std::uint32_t seen = 0;
    const bool read = members([&](std::string_view key) {
        const member m = function_member(key);
        if (m == member::skipped)
            return skip_value(8);
        if (!first_time(seen, m))
            return false;
        return optional_text(m == member::name ? call.name : call.arguments);
    });
    if (!read)
        return false;
    if (lacks(seen, member::name))
        pool_->put(call.name);
    if (lacks(seen, member::arguments))
        pool_->put(call.arguments);
    return true;
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
    switch (*p_) {
    case '"': {
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
    case 'n': value = nullptr; return literal("null");
    case 't': value = true; return literal("true");
    case 'f': value = false; return literal("false");
    case '{':
    case '[':
        return false;
    default: {
        number n{};
        if (!read_number(n))
            return false;
        switch (n.kind) {
        case number::kind::int64:
            value = n.int64();
            return true;
        case number::kind::uint64: value = n.magnitude; return true;
        case number::kind::other: {
            // Boost.JSON's own conversion, so that the value is the tree's.
            boost::system::error_code ec;
            value = boost::json::parse(boost::json::string_view(n.text.data(), n.text.size()), ec);
            return !ec;
        }
        }
        return false;
    }
    }
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

// An integer that fits in int64; anything else is the tree's to judge.
DGRID_DECL bool chunk_reader::index(std::int64_t& to) {
    number n{};
    if (!read_number(n) || n.kind != number::kind::int64)
        return false;
    to = n.int64();
    return true;
}

DGRID_DECL bool chunk_reader::null_only() { return literal("null"); }

// JSON's number grammar; the value when it is an integer Boost.JSON reads as
// int64 or uint64 (19 digits always fit in uint64). False as well for an
// exponent of more than 9 digits.
DGRID_DECL bool chunk_reader::read_number(number& n) {
    using json_text::is_digit;
    const char* const start = p_;
    n.negative = at('-');
    if (n.negative)
        ++p_;
    if (p_ == end_ || !is_digit(*p_))
        return false;
    const char* const digits = p_;
    std::uint64_t magnitude = 0;
    if (*p_ == '0') {
        ++p_;
    } else {
        while (p_ != end_ && is_digit(*p_))
            magnitude = magnitude * 10 + static_cast<unsigned>(*p_++ - '0'); // wraps past 19 digits: `other` below
    }
    const auto digit_count = p_ - digits;
    bool integral = true;
    if (at('.')) {
        ++p_;
        if (p_ == end_ || !is_digit(*p_))
            return false;
        while (p_ != end_ && is_digit(*p_))
            ++p_;
        integral = false;
    }
    if (at('e') || at('E')) {
        ++p_;
        if (at('+') || at('-'))
            ++p_;
        if (p_ == end_ || !is_digit(*p_))
            return false;
        while (at('0'))
            ++p_;
        const char* const exponent = p_;
        while (p_ != end_ && is_digit(*p_))
            ++p_;
        // Boost.JSON fails on an exponent that overflows an int once the
        // mantissa's digits are counted in: the tree decides those.
        if (p_ - exponent > 9)
            return false;
        integral = false;
    }
    n.text = std::string_view(start, static_cast<std::size_t>(p_ - start));
    n.magnitude = magnitude;
    constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!integral || digit_count > 19 || (n.negative && (magnitude == 0 || magnitude > int64_max + 1)))
        n.kind = number::kind::other;
    else if (n.negative || magnitude <= int64_max)
        n.kind = number::kind::int64;
    else
        n.kind = number::kind::uint64;
    return true;
}

// A value nobody reads, checked as the tree parser would check it; `depth`
// is its nesting, which must stay below the tree parser's limit.
DGRID_DECL bool chunk_reader::skip_value(std::size_t depth) {
    if (p_ == end_ || depth >= max_json_depth)
        return false;
    switch (*p_) {
    case '"': {
        std::string_view ignored;
        return string(ignored);
    }
    case '{': return members([&](std::string_view) { return skip_value(depth + 1); });
    case '[': return elements([&] { return skip_value(depth + 1); });
    case 'n': return literal("null");
    case 't': return literal("true");
    case 'f': return literal("false");
    default: {
        number ignored{};
        return read_number(ignored);
    }
    }
}

// A string, `p_` at its opening quote. The value is a view of the text when it
// has no escape, else of `scratch_`. Most strings are plain ASCII and end at
// the first byte that is not plain; the rest goes on in `string_tail`.
DGRID_DECL bool chunk_reader::string(std::string_view& out) {
    const char* const start = ++p_;
    p_ = json_text::plain_run_end(p_, end_);
    if (at('"')) {
        out = std::string_view(start, static_cast<std::size_t>(p_++ - start));
        return true;
    }
    return string_tail(start, out);
}

DGRID_DECL bool chunk_reader::string_tail(const char* run, std::string_view& out) {
    bool escaped = false; // scratch_ holds the string up to `run`
    for (;;) {
        if (p_ == end_)
            return false;
        const auto c = static_cast<unsigned char>(*p_);
        if (c == '"') {
            if (escaped) {
                scratch_.append(run, p_);
                out = scratch_;
            } else {
                out = std::string_view(run, static_cast<std::size_t>(p_ - run));
            }
            ++p_;
            return true;
        }
        if (c == '\\') {
            if (!escaped)
                scratch_.clear();
            escaped = true;
            scratch_.append(run, p_);
            if (!escape())
                return false;
            run = p_;
        } else if (c < 0x20) {
            return false;
        } else {
            const std::size_t n = json_text::utf8_sequence_length(p_, end_);
            if (n == 0)
                return false;
            p_ += n;
        }
        p_ = json_text::plain_run_end(p_, end_);
    }
}

// An escape, `p_` at its backslash, appended to scratch_ decoded. A \u escape
// of a surrogate must be a high one followed by a low one.
DGRID_DECL bool chunk_reader::escape() {
    ++p_;
    if (p_ == end_)
        return false;
    switch (*p_++) {
    case '"': scratch_.push_back('"'); return true;
    case '\\': scratch_.push_back('\\'); return true;
    case '/': scratch_.push_back('/'); return true;
    case 'b': scratch_.push_back('\b'); return true;
    case 'f': scratch_.push_back('\f'); return true;
    case 'n': scratch_.push_back('\n'); return true;
    case 'r': scratch_.push_back('\r'); return true;
    case 't': scratch_.push_back('\t'); return true;
    case 'u': break;
    default: return false;
    }
    std::uint32_t cp = 0;
    if (end_ - p_ < 4 || !json_text::hex4(p_, cp))
        return false;
    p_ += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        std::uint32_t low = 0;
        if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u' || !json_text::hex4(p_ + 2, low) || low < 0xDC00 ||
            low > 0xDFFF)
            return false;
        p_ += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return false;
    }
    json_text::append_utf8(scratch_, cp);
    return true;
}

} // namespace dgrid::detail

#endif
