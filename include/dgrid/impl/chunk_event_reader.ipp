#ifndef DGRID_IMPL_CHUNK_EVENT_READER_IPP
#define DGRID_IMPL_CHUNK_EVENT_READER_IPP

#include <dgrid/detail/chunk_event_reader.hpp>
#include <dgrid/detail/chunk_recycling.hpp>

#include <cstring>
#include <limits>

namespace dgrid::detail {

namespace chunk_events {

// A string split by escapes is gathered in a buffer kept from event to event;
// one that grew past this (a multi-megabyte image) is not kept.
inline constexpr std::size_t max_kept_text = 64 * 1024;

inline std::uint32_t bit(auto m) noexcept { return std::uint32_t(1) << static_cast<unsigned>(m); }

// Appends in powers of two, so that the buffers settle after a few events.
inline void append(std::string& to, std::string_view s) {
    string_pool::grow(to, to.size() + s.size());
    to.append(s);
}

} // namespace chunk_events

DGRID_DECL void chunk_event_reader::start(chat_chunk& out, string_pool& pool) {
    out_ = &out;
    pool_ = &pool;
    depth_ = 0;
    skipping_ = 0;
    next_ = member::unreadable;
    unknown_ = 0;
    extra_seen_.assign(out.extra.size(), 0);
    has_reasoning_ = false;
    key_.clear();
    text_.clear();
    if (text_.capacity() > chunk_events::max_kept_text)
        std::string().swap(text_);
    if (reasoning_.capacity() > chunk_events::max_kept_text)
        std::string().swap(reasoning_);
}

// Keys are told apart by their length first: one comparison of a few bytes
// per key, instead of one per candidate.
DGRID_DECL chunk_event_reader::member chunk_event_reader::member_of(level where, std::string_view key) noexcept {
    auto is = [&](std::string_view name) { return std::memcmp(key.data(), name.data(), name.size()) == 0; };
    switch (where) {
    case level::chunk:
        switch (key.size()) {
        case 2: return is("id") ? member::id : member::extra;
        case 5:
            if (is("model"))
                return member::model;
            if (is("usage"))
                return member::usage;
            return is("error") ? member::unreadable : member::extra;
        case 6: return is("object") ? member::object : member::extra;
        case 7:
            if (is("created"))
                return member::created;
            return is("choices") ? member::choices : member::extra;
        case 18: return is("system_fingerprint") ? member::system_fingerprint : member::extra;
        default: return member::extra;
        }
    case level::choice:
        switch (key.size()) {
        case 5:
            if (is("index"))
                return member::choice_index;
            return is("delta") ? member::delta : member::skipped;
        case 8: return is("logprobs") ? member::logprobs : member::skipped;
        case 13: return is("finish_reason") ? member::finish_reason : member::skipped;
        default: return member::skipped;
        }
    case level::delta:
        switch (key.size()) {
        case 4: return is("role") ? member::role : member::skipped;
        case 7: return is("content") ? member::content : member::skipped;
        case 9: return is("reasoning") ? member::reasoning : member::skipped;
        case 10: return is("tool_calls") ? member::tool_calls : member::skipped;
        case 17: return is("reasoning_content") ? member::reasoning_content : member::skipped;
        default: return member::skipped;
        }
    case level::tool_call:
        switch (key.size()) {
        case 2: return is("id") ? member::call_id : member::skipped;
        case 4: return is("type") ? member::call_type : member::skipped;
        case 5: return is("index") ? member::call_index : member::skipped;
        case 8: return is("function") ? member::function : member::skipped;
        default: return member::skipped;
        }
    case level::function:
        switch (key.size()) {
        case 4: return is("name") ? member::name : member::skipped;
        case 9: return is("arguments") ? member::arguments : member::skipped;
        default: return member::skipped;
        }
    case level::choices:
    case level::tool_calls:
        break;
    }
    return member::unreadable;
}

// Below the top level the tree is chunk, choices, choice, delta, tool_calls,
// tool_call, function: the choice and the tool call being read are the last
// elements counted by the frames of `choices` and `tool_calls`.
DGRID_DECL chunk_choice& chunk_event_reader::current_choice() noexcept { return out_->choices[stack_[1].count - 1]; }

DGRID_DECL tool_call_delta& chunk_event_reader::current_call() noexcept {
    return current_choice().delta.tool_calls[stack_[4].count - 1];
}

// Assigns unless equal: the chunks of a stream repeat their id and model.
inline void assign_if_changed(std::string& to, std::string_view v) {
    if (std::string_view(to) != v)
        to.assign(v);
}

DGRID_DECL chunk_event_reader::member chunk_event_reader::current() const noexcept {
    if (depth_ == 0)
        return member::unreadable; // the top level must be an object
    const level where = stack_[depth_ - 1].where;
    return where == level::choices || where == level::tool_calls ? member::element : next_;
}

DGRID_DECL bool chunk_event_reader::give_up(error_code& ec) {
    ec = error::malformed_response;
    return false;
}

DGRID_DECL bool chunk_event_reader::push(level where, error_code& ec) {
    if (depth_ == max_levels)
        return give_up(ec);
    stack_[depth_++] = frame{where};
    return true;
}

DGRID_DECL bool chunk_event_reader::on_object_begin(error_code& ec) {
    if (skipping_ != 0) {
        ++skipping_;
        return true;
    }
    if (depth_ == 0)
        return push(level::chunk, ec);
    switch (current()) {
    case member::skipped:
        skipping_ = 1;
        return true;
    case member::delta:
        return push(level::delta, ec);
    case member::function:
        return push(level::function, ec);
    case member::element: {
        frame& array = stack_[depth_ - 1];
        const auto i = static_cast<std::int64_t>(array.count++);
        if (array.where == level::choices) {
            auto& choices = out_->choices;
            if (array.count > choices.size())
                choices.emplace_back();
            choices[array.count - 1].index = i; // when `index` is missing
            return push(level::choice, ec);
        }
        auto& calls = current_choice().delta.tool_calls;
        if (array.count > calls.size())
            calls.emplace_back();
        calls[array.count - 1].index = i; // when `index` is missing
        return push(level::tool_call, ec);
    }
    default:
        return give_up(ec);
    }
}

// The members an object did not have are emptied (their buffers kept), so
// that a member seen again in the next event is overwritten in place.
DGRID_DECL bool chunk_event_reader::end_of_object(error_code& ec) {
    const frame& object = stack_[--depth_];
    auto lacks = [&](member m) { return (object.seen & chunk_events::bit(m)) == 0; };
    switch (object.where) {
    case level::chunk:
        if (lacks(member::id))
            out_->id.clear();
        if (lacks(member::object))
            out_->object.clear();
        if (lacks(member::created))
            out_->created.reset();
        if (lacks(member::model))
            out_->model.clear();
        if (lacks(member::choices))
            recycle_choices(*pool_, out_->choices); // missing is no choices (WIRE.md quirk 6)
        if (lacks(member::usage))
            out_->usage.reset();
        if (lacks(member::system_fingerprint))
            pool_->put(out_->system_fingerprint);
        // Members of the previous chunk that this one lacks, or a repeated
        // unknown member: the tree reader sorts that out.
        if (out_->extra.size() != unknown_)
            return give_up(ec);
        break;
    case level::choice: {
        chunk_choice& choice = current_choice();
        if (lacks(member::delta))
            recycle(*pool_, choice.delta);
        if (lacks(member::finish_reason))
            pool_->put(choice.finish_reason);
        if (!choice.logprobs.is_null()) // read by the tree reader before
            choice.logprobs = nullptr;
        break;
    }
    case level::delta: {
        chunk_delta& delta = current_choice().delta;
        if (lacks(member::role))
            pool_->put(delta.role);
        if (lacks(member::content))
            pool_->put(delta.content);
        if (lacks(member::reasoning_content))
            pool_->put(delta.reasoning_content);
        if (lacks(member::tool_calls))
            recycle_tool_calls(*pool_, delta.tool_calls);
        // WIRE.md quirk 8: `reasoning` stands for an absent or empty `reasoning_content`.
        if (has_reasoning_ && (!delta.reasoning_content || delta.reasoning_content->empty()))
            pool_->assign(delta.reasoning_content, reasoning_);
        has_reasoning_ = false;
        break;
    }
    case level::tool_call: {
        tool_call_delta& call = current_call();
        if (lacks(member::call_id))
            pool_->put(call.id);
        if (lacks(member::call_type))
            pool_->put(call.type);
        if (lacks(member::function)) {
            pool_->put(call.name);
            pool_->put(call.arguments);
        }
        break;
    }
    case level::function: {
        tool_call_delta& call = current_call();
        if (lacks(member::name))
            pool_->put(call.name);
        if (lacks(member::arguments))
            pool_->put(call.arguments);
        break;
    }
    case level::choices:
    case level::tool_calls:
        break;
    }
    return true;
}

DGRID_DECL bool chunk_event_reader::on_object_end(std::size_t, error_code& ec) {
    if (skipping_ != 0) {
        --skipping_;
        return true;
    }
    return end_of_object(ec);
}

DGRID_DECL bool chunk_event_reader::on_array_begin(error_code& ec) {
    if (skipping_ != 0) {
        ++skipping_;
        return true;
    }
    switch (current()) {
    case member::skipped:
        skipping_ = 1;
        return true;
    case member::choices:
        return push(level::choices, ec);
    case member::tool_calls:
        return push(level::tool_calls, ec);
    default:
        return give_up(ec);
    }
}

DGRID_DECL bool chunk_event_reader::on_array_end(std::size_t, error_code&) {
    if (skipping_ != 0) {
        --skipping_;
        return true;
    }
    const frame& array = stack_[--depth_];
    if (array.where == level::choices)
        recycle_choices(*pool_, out_->choices, array.count);
    else
        recycle_tool_calls(*pool_, current_choice().delta.tool_calls, array.count);
    return true;
}

DGRID_DECL bool chunk_event_reader::on_key_part(boost::json::string_view s, std::size_t, error_code&) {
    if (skipping_ == 0)
        chunk_events::append(key_, {s.data(), s.size()});
    return true;
}

DGRID_DECL bool chunk_event_reader::on_key(boost::json::string_view s, std::size_t, error_code& ec) {
    if (skipping_ != 0)
        return true;
    std::string_view key(s.data(), s.size());
    if (!key_.empty()) {
        chunk_events::append(key_, key);
        key = key_;
    }
    frame& object = stack_[depth_ - 1];
    next_ = member_of(object.where, key);
    if (next_ == member::unreadable)
        return give_up(ec);
    if (next_ == member::extra) {
        if (key_.empty()) {
            string_pool::grow(key_, key.size());
            key_.assign(key);
        }
        return true;
    }
    key_.clear();
    if (next_ == member::skipped)
        return true;
    // A repeated member: the tree keeps one of them, the events see both.
    if ((object.seen & chunk_events::bit(next_)) != 0)
        return give_up(ec);
    object.seen |= chunk_events::bit(next_);
    return true;
}

DGRID_DECL bool chunk_event_reader::on_string_part(boost::json::string_view s, std::size_t, error_code&) {
    if (skipping_ == 0)
        chunk_events::append(text_, {s.data(), s.size()});
    return true;
}

DGRID_DECL bool chunk_event_reader::on_string(boost::json::string_view s, std::size_t, error_code& ec) {
    if (skipping_ != 0)
        return true;
    if (text_.empty())
        return string_value({s.data(), s.size()}, ec);
    chunk_events::append(text_, {s.data(), s.size()});
    const bool ok = string_value(text_, ec);
    text_.clear();
    return ok;
}

// The member of `extra` named by `key_`, made if new; null when this event
// named it before (the tree keeps one of the two: the tree reader decides).
DGRID_DECL boost::json::value* chunk_event_reader::extra_value() {
    boost::json::object& extra = out_->extra;
    std::size_t i = 0;
    if (auto it = extra.find(key_); it != extra.end()) {
        i = static_cast<std::size_t>(it - extra.begin());
    } else {
        extra.emplace(key_, nullptr);
        i = extra.size() - 1;
        extra_seen_.push_back(0);
    }
    key_.clear();
    if (extra_seen_[i] != 0)
        return nullptr;
    extra_seen_[i] = 1;
    ++unknown_;
    return &extra.begin()[i].value();
}

// Sets the current member of `extra`, or gives up on a repeated one.
template <class Value>
bool chunk_event_reader::set_extra(Value v, error_code& ec) {
    boost::json::value* slot = extra_value();
    if (!slot)
        return give_up(ec);
    *slot = v;
    return true;
}

DGRID_DECL bool chunk_event_reader::string_value(std::string_view v, error_code& ec) {
    auto choice = [&]() -> chunk_choice& { return current_choice(); };
    auto call = [&]() -> tool_call_delta& { return current_call(); };
    switch (current()) {
    case member::id: assign_if_changed(out_->id, v); return true;
    case member::object: assign_if_changed(out_->object, v); return true;
    case member::model: assign_if_changed(out_->model, v); return true;
    case member::system_fingerprint: pool_->assign(out_->system_fingerprint, v); return true;
    case member::finish_reason: pool_->assign(choice().finish_reason, v); return true;
    case member::role: pool_->assign(choice().delta.role, v); return true;
    case member::content: pool_->assign(choice().delta.content, v); return true;
    case member::reasoning_content: pool_->assign(choice().delta.reasoning_content, v); return true;
    case member::reasoning:
        string_pool::grow(reasoning_, v.size());
        reasoning_.assign(v);
        has_reasoning_ = true;
        return true;
    case member::call_id: pool_->assign(call().id, v); return true;
    case member::call_type: pool_->assign(call().type, v); return true;
    case member::name: pool_->assign(call().name, v); return true;
    case member::arguments: pool_->assign(call().arguments, v); return true;
    case member::skipped: return true;
    case member::extra: {
        // Kept in place: members such as `obfuscation` come in every chunk.
        boost::json::value* value = extra_value();
        if (!value)
            return give_up(ec);
        if (boost::json::string* s = value->if_string()) {
            string_pool::grow(*s, v.size());
            s->assign(v.data(), v.size());
        } else {
            *value = boost::json::string_view(v.data(), v.size());
        }
        return true;
    }
    default: return give_up(ec);
    }
}

DGRID_DECL bool chunk_event_reader::integer_value(std::int64_t i, error_code& ec) {
    switch (current()) {
    case member::created: out_->created = i; return true;
    case member::choice_index: current_choice().index = i; return true;
    case member::call_index: current_call().index = i; return true;
    case member::skipped: return true;
    case member::extra: return set_extra(i, ec);
    default: return give_up(ec);
    }
}

DGRID_DECL bool chunk_event_reader::on_int64(std::int64_t i, boost::json::string_view, error_code& ec) {
    return skipping_ != 0 || integer_value(i, ec);
}

DGRID_DECL bool chunk_event_reader::on_uint64(std::uint64_t u, boost::json::string_view, error_code& ec) {
    if (skipping_ != 0)
        return true;
    if (current() == member::extra)
        return set_extra(u, ec);
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return current() == member::skipped || give_up(ec);
    return integer_value(static_cast<std::int64_t>(u), ec);
}

DGRID_DECL bool chunk_event_reader::on_double(double d, boost::json::string_view, error_code& ec) {
    if (skipping_ != 0 || current() == member::skipped)
        return true;
    if (current() != member::extra)
        return give_up(ec); // integral doubles and their errors: the tree reader's rules
    return set_extra(d, ec);
}

DGRID_DECL bool chunk_event_reader::on_bool(bool b, error_code& ec) {
    if (skipping_ != 0 || current() == member::skipped)
        return true;
    if (current() != member::extra)
        return give_up(ec);
    return set_extra(b, ec);
}

// null empties a member, as absence does (and an index keeps its position).
DGRID_DECL bool chunk_event_reader::on_null(error_code& ec) {
    if (skipping_ != 0)
        return true;
    switch (current()) {
    case member::id: out_->id.clear(); return true;
    case member::object: out_->object.clear(); return true;
    case member::created: out_->created.reset(); return true;
    case member::model: out_->model.clear(); return true;
    case member::choices: recycle_choices(*pool_, out_->choices); return true; // WIRE.md quirk 6
    case member::usage: out_->usage.reset(); return true;
    case member::system_fingerprint: pool_->put(out_->system_fingerprint); return true;
    case member::delta: recycle(*pool_, current_choice().delta); return true;
    case member::finish_reason: pool_->put(current_choice().finish_reason); return true;
    case member::role: pool_->put(current_choice().delta.role); return true;
    case member::content: pool_->put(current_choice().delta.content); return true;
    case member::reasoning_content: pool_->put(current_choice().delta.reasoning_content); return true;
    case member::tool_calls: recycle_tool_calls(*pool_, current_choice().delta.tool_calls); return true;
    case member::call_id: pool_->put(current_call().id); return true;
    case member::call_type: pool_->put(current_call().type); return true;
    case member::function:
        pool_->put(current_call().name);
        pool_->put(current_call().arguments);
        return true;
    case member::name: pool_->put(current_call().name); return true;
    case member::arguments: pool_->put(current_call().arguments); return true;
    case member::extra: return set_extra(nullptr, ec);
    case member::choice_index:
    case member::call_index:
    case member::logprobs:
    case member::reasoning:
    case member::skipped:
        return true;
    case member::element:
    case member::unreadable:
        break;
    }
    return give_up(ec);
}

} // namespace dgrid::detail

#endif
