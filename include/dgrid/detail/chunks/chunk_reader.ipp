#ifndef DGRID_DETAIL_CHUNKS_CHUNK_READER_IPP
#define DGRID_DETAIL_CHUNKS_CHUNK_READER_IPP

#include <dgrid/detail/chunks/chunk_reader.hpp>
#include <dgrid/detail/chunks/chunk_recycling.hpp>
#include <dgrid/detail/json/json_scanner.ipp>

#include <algorithm>

namespace dgrid::detail {

namespace chunk_reading {

// Assigns unless equal: the chunks of a stream repeat their id and model.
inline void assign_if_changed(std::string& to, std::string_view v) {
    if (std::string_view(to) != v)
        to.assign(v);
}

} // namespace chunk_reading

DGRID_DECL chunk_reader::member chunk_reader::chunk_member(std::string_view key) noexcept {

    switch (key.size()) {
    case 2: return key_is(key, "id") ? member::id : member::extra;
    case 5:
        if (key_is(key, "model"))
            return member::model;
        if (key_is(key, "usage"))
            return member::usage;
        return key_is(key, "error") ? member::unreadable : member::extra;
    case 6: return key_is(key, "object") ? member::object : member::extra;
    case 7:
        if (key_is(key, "created"))
            return member::created;
        return key_is(key, "choices") ? member::choices : member::extra;
    case 18: return key_is(key, "system_fingerprint") ? member::system_fingerprint : member::extra;
    default: return member::extra;
    }
}

DGRID_DECL chunk_reader::member chunk_reader::choice_member(std::string_view key) noexcept {

    switch (key.size()) {
    case 5:
        if (key_is(key, "index"))
            return member::choice_index;
        return key_is(key, "delta") ? member::delta : member::skipped;
    case 8: return key_is(key, "logprobs") ? member::logprobs : member::skipped;
    case 13: return key_is(key, "finish_reason") ? member::finish_reason : member::skipped;
    default: return member::skipped;
    }
}

DGRID_DECL chunk_reader::member chunk_reader::delta_member(std::string_view key) noexcept {

    switch (key.size()) {
    case 4: return key_is(key, "role") ? member::role : member::skipped;
    case 7:
        if (key_is(key, "content"))
            return member::content;
        return key_is(key, "refusal") ? member::refusal : member::skipped;
    case 9: return key_is(key, "reasoning") ? member::reasoning : member::skipped;
    case 10: return key_is(key, "tool_calls") ? member::tool_calls : member::skipped;
    case 17: return key_is(key, "reasoning_content") ? member::reasoning_content : member::skipped;
    default: return member::skipped;
    }
}

DGRID_DECL chunk_reader::member chunk_reader::tool_call_member(std::string_view key) noexcept {

    switch (key.size()) {
    case 2: return key_is(key, "id") ? member::call_id : member::skipped;
    case 4: return key_is(key, "type") ? member::call_type : member::skipped;
    case 5: return key_is(key, "index") ? member::call_index : member::skipped;
    case 8: return key_is(key, "function") ? member::function : member::skipped;
    default: return member::skipped;
    }
}

DGRID_DECL chunk_reader::member chunk_reader::function_member(std::string_view key) noexcept {

    switch (key.size()) {
    case 4: return key_is(key, "name") ? member::name : member::skipped;
    case 9: return key_is(key, "arguments") ? member::arguments : member::skipped;
    default: return member::skipped;
    }
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
        const member m = chunk_member(key);
        if (m == member::extra)
            return extra_member(key);
        if (m == member::choices && !prefix_taken_)
            remember_prefix(seen);
        return m != member::unreadable && seen.first_time(m) && chunk_value(m);
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
    if (seen.lacks(member::id))
        c.id.clear();
    if (seen.lacks(member::object))
        c.object.clear();
    if (seen.lacks(member::created))
        c.created.reset();
    if (seen.lacks(member::model))
        c.model.clear();
    if (seen.lacks(member::choices))
        recycle_choices(*pool_, c.choices); // missing is no choices (docs/wire.md, "Choices null or missing")
    if (seen.lacks(member::usage))
        c.usage.reset();
    if (seen.lacks(member::system_fingerprint))
        pool_->put(c.system_fingerprint);
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
        if (!integer(created))
            return false;
        c.created = created;
        return true;
    }
    case member::usage: c.usage.reset(); return literal("null");
    case member::choices:
        if (*p_ == 'n') {
            recycle_choices(*pool_, c.choices); // docs/wire.md, "Choices null or missing"
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
        choice_at_ = count - 1;
        choice.index = static_cast<std::int64_t>(count - 1); // when `index` is missing
        return choice_object(choice);
    });
    if (read)
        recycle_choices(*pool_, choices, count);
    return read;
}

DGRID_DECL bool chunk_reader::choice_object(chunk_choice& choice) {
    member_set seen;
    choice.extra.clear();
    const bool read = members([&](std::string_view key) {
        const member m = choice_member(key);
        if (m == member::skipped)
            return nested_extra(choice.extra, key, 4);
        if (!seen.first_time(m))
            return false;
        switch (m) {
        case member::choice_index: return *p_ == 'n' ? literal("null") : integer(choice.index);
        case member::finish_reason: return optional_text(choice.finish_reason);
        case member::logprobs: return literal("null");
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
    if (seen.lacks(member::delta))
        recycle(*pool_, choice.delta);
    if (seen.lacks(member::finish_reason))
        pool_->put(choice.finish_reason);
    if (!choice.logprobs.is_null()) // read by the tree reader before
        choice.logprobs = nullptr;
    return true;
}

DGRID_DECL bool chunk_reader::delta_object(chunk_delta& delta) {
    member_set seen;
    bool has_reasoning = false;
    delta.extra.clear();
    const bool read = members([&](std::string_view key) {
        const member m = delta_member(key);
        if (m == member::skipped)
            return nested_extra(delta.extra, key, 5);
        if (!seen.first_time(m))
            return false;
        switch (m) {
        case member::role: return optional_text(delta.role);
        case member::content: return free_text(delta.content, m);
        case member::reasoning_content: return free_text(delta.reasoning_content, m);
        case member::refusal: return optional_text(delta.refusal);
        case member::reasoning: {
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
    if (seen.lacks(member::role))
        pool_->put(delta.role);
    if (seen.lacks(member::content))
        pool_->put(delta.content);
    if (seen.lacks(member::reasoning_content))
        pool_->put(delta.reasoning_content);
    if (seen.lacks(member::refusal))
        pool_->put(delta.refusal);
    if (seen.lacks(member::tool_calls))
        recycle_tool_calls(*pool_, delta.tool_calls);
    // docs/wire.md, "Reasoning under two names": `reasoning` stands for an
    // absent or empty `reasoning_content`.
    if (has_reasoning && (!delta.reasoning_content || delta.reasoning_content->empty()))
        pool_->assign(delta.reasoning_content, reasoning_);
    // Then `reasoning_content` depends on another member: not free text.
    if (has_reasoning && free_text_ && free_text_->m == member::reasoning_content && free_text_->choice == choice_at_)
        free_text_.reset();
    return true;
}

DGRID_DECL bool chunk_reader::tool_calls_array(std::vector<tool_call_delta>& calls) {
    std::size_t count = 0;
    const bool read = elements([&] {
        if (++count > calls.size())
            calls.emplace_back();
        tool_call_delta& call = calls[count - 1];
        call_at_ = count - 1;
        call.index = static_cast<std::int64_t>(count - 1); // when `index` is missing
        return tool_call_object(call);
    });
    if (read)
        recycle_tool_calls(*pool_, calls, count);
    return read;
}

DGRID_DECL bool chunk_reader::tool_call_object(tool_call_delta& call) {
    member_set seen;
    call.extra.clear();
    const bool read = members([&](std::string_view key) {
        const member m = tool_call_member(key);
        if (m == member::skipped)
            return nested_extra(call.extra, key, 7);
        if (!seen.first_time(m))
            return false;
        switch (m) {
        case member::call_index: return *p_ == 'n' ? literal("null") : integer(call.index);
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
    if (seen.lacks(member::call_id))
        pool_->put(call.id);
    if (seen.lacks(member::call_type))
        pool_->put(call.type);
    if (seen.lacks(member::function)) {
        pool_->put(call.name);
        pool_->put(call.arguments);
    }
    return true;
}

DGRID_DECL bool chunk_reader::function_object(tool_call_delta& call) {
    member_set seen;
    const bool read = members([&](std::string_view key) {
        const member m = function_member(key);
        if (m == member::skipped)
            return skip_value(8);
        if (!seen.first_time(m))
            return false;
        return m == member::name ? optional_text(call.name) : free_text(call.arguments, m);
    });
    if (!read)
        return false;
    if (seen.lacks(member::name))
        pool_->put(call.name);
    if (seen.lacks(member::arguments))
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
    case member::content: return delta.content;
    case member::reasoning_content: return delta.reasoning_content;
    default: return delta.tool_calls[place.call].arguments;
    }
}

DGRID_DECL bool chunk_reader::free_text(std::optional<std::string>& to, member m) {
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
