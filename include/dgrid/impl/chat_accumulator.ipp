#ifndef DGRID_IMPL_CHAT_ACCUMULATOR_IPP
#define DGRID_IMPL_CHAT_ACCUMULATOR_IPP

#include <dgrid/chat_accumulator.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace dgrid {
namespace detail {
namespace accumulate {

// Joins the token lists of two `logprobs` objects (`content`, `refusal`);
// anything else: the newer non-null value replaces the older.
inline void merge_logprobs(boost::json::value& into, const boost::json::value& piece) {
    if (piece.is_null())
        return;
    boost::json::object* old = into.if_object();
    const boost::json::object* add = piece.if_object();
    if (!old || !add) {
        into = piece;
        return;
    }
    for (const boost::json::key_value_pair& kv : *add) {
        boost::json::value* existing = old->if_contains(kv.key());
        boost::json::array* list = existing ? existing->if_array() : nullptr;
        const boost::json::array* more = kv.value().if_array();
        if (list && more && (kv.key() == "content" || kv.key() == "refusal"))
            list->insert(list->end(), more->begin(), more->end());
        else
            old->insert_or_assign(kv.key(), kv.value());
    }
}

// Unknown members: the first chunk that names one gives its value.
inline void keep_first(boost::json::object& into, const boost::json::object& piece) {
    for (const boost::json::key_value_pair& kv : piece)
        if (!into.contains(kv.key()))
            into.emplace(kv.key(), kv.value());
}

inline void merge_name(std::string& name, const std::string& piece) {
    if (name.empty())
        name = piece;
    else if (piece != name) // a repeat is ignored, anything else is the next piece
        name += piece;
}

} // namespace accumulate
} // namespace detail

DGRID_DECL void chat_accumulator::add(const chat_chunk& chunk) {
    namespace acc = detail::accumulate;
    chat_completion& c = completion_;
    if (c.object.empty())
        c.object = "chat.completion";
    if (c.id.empty())
        c.id = chunk.id;
    if (!c.created)
        c.created = chunk.created;
    if (c.model.empty())
        c.model = chunk.model;
    if (!c.system_fingerprint && chunk.system_fingerprint && !chunk.system_fingerprint->empty())
        c.system_fingerprint = chunk.system_fingerprint;
    if (chunk.usage)
        c.usage = chunk.usage;
    acc::keep_first(c.extra, chunk.extra);

    for (const chunk_choice& piece : chunk.choices) {
        // Choices stay sorted by index; with n > 1 their chunks interleave.
        const auto at = std::lower_bound(c.choices.begin(), c.choices.end(), piece.index,
                                         [](const choice& ch, std::int64_t i) { return ch.index < i; });
        const auto pos = static_cast<std::size_t>(at - c.choices.begin());
        if (at == c.choices.end() || at->index != piece.index) {
            choice fresh;
            fresh.index = piece.index;
            fresh.message.role = "assistant"; // unless a delta says otherwise
            c.choices.insert(at, std::move(fresh));
            states_.insert(states_.begin() + static_cast<std::ptrdiff_t>(pos), choice_state{});
        }
        choice& ch = c.choices[pos];
        choice_state& state = states_[pos];
        message& m = ch.message;
        const chunk_delta& d = piece.delta;

        if (d.role && !d.role->empty() && !state.role_seen) {
            m.role = *d.role;
            state.role_seen = true;
        }
        if (d.content) {
            if (!m.content)
                m.content.emplace(std::string());
            std::get<std::string>(*m.content) += *d.content;
        }
        if (d.reasoning_content && !d.reasoning_content->empty()) {
            if (!m.reasoning_content)
                m.reasoning_content.emplace();
            *m.reasoning_content += *d.reasoning_content;
        }
        if (d.refusal) {
            if (!m.refusal)
                m.refusal.emplace();
            *m.refusal += *d.refusal;
        }
        for (const tool_call_delta& f : d.tool_calls) {
            const auto call_at = std::lower_bound(state.calls.begin(), state.calls.end(), f.index,
                                                  [](const call_state& s, std::int64_t i) { return s.index < i; });
            const auto call_pos = static_cast<std::size_t>(call_at - state.calls.begin());
            if (call_at == state.calls.end() || call_at->index != f.index) {
                state.calls.insert(call_at, call_state{f.index, false});
                m.tool_calls.insert(m.tool_calls.begin() + static_cast<std::ptrdiff_t>(call_pos), tool_call{});
            }
            tool_call& call = m.tool_calls[call_pos];
            call_state& cs = state.calls[call_pos];
            if (f.id && call.id.empty())
                call.id = *f.id; // some upstreams repeat it in every fragment
            if (f.type && !f.type->empty() && !cs.type_seen) {
                call.type = *f.type;
                cs.type_seen = true;
            }
            if (f.name && !f.name->empty())
                acc::merge_name(call.function.name, *f.name);
            if (f.arguments)
                call.function.arguments += *f.arguments;
            acc::keep_first(call.extra, f.extra);
        }
        acc::keep_first(m.extra, d.extra);
        // An unstreamed answer that only calls tools has `content: null`,
        // while streams often open with `content: ""`.
        if (m.content && !m.tool_calls.empty() && std::get<std::string>(*m.content).empty())
            m.content.reset();

        if (piece.finish_reason && !piece.finish_reason->empty()) // some upstreams send "" for null
            ch.finish_reason = piece.finish_reason;
        acc::merge_logprobs(ch.logprobs, piece.logprobs);
        acc::keep_first(ch.extra, piece.extra);
    }
}

DGRID_DECL chat_completion chat_accumulator::take() {
    chat_completion out = std::move(completion_);
    completion_ = chat_completion{};
    states_.clear();
    return out;
}

} // namespace dgrid

#endif
