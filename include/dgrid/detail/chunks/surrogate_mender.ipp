#ifndef DGRID_DETAIL_CHUNKS_SURROGATE_MENDER_IPP
#define DGRID_DETAIL_CHUNKS_SURROGATE_MENDER_IPP

#include <dgrid/detail/chunks/surrogate_mender.hpp>
#include <dgrid/detail/json/json_text.hpp>

#include <algorithm>
#include <string_view>

namespace dgrid::detail {
namespace mending {

// U+FFFD in UTF-8.
inline constexpr std::string_view replacement = "\xEF\xBF\xBD";

// Whether `s` holds, at `i`, a surrogate in its three-byte form (0xED then
// 0xA0-0xBF: valid UTF-8 has only 0x80-0x9F after 0xED); its code unit.
inline bool surrogate_at(const std::string& s, std::size_t i, std::uint32_t& unit) noexcept {
    if (i + 3 > s.size() || static_cast<unsigned char>(s[i]) != 0xED)
        return false;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    const auto b2 = static_cast<unsigned char>(s[i + 2]);
    if (b1 < 0xA0 || b1 > 0xBF)
        return false;
    unit = 0xD000u | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
    return true;
}

// Every surrogate left in `s` made U+FFFD (three bytes for three).
inline bool replace_lone(std::string& s) {
    bool changed = false;
    std::uint32_t unit = 0;
    for (std::size_t i = s.find('\xED'); i != std::string::npos; i = s.find('\xED', i + 1)) {
        if (surrogate_at(s, i, unit)) {
            s.replace(i, 3, replacement);
            changed = true;
        }
    }
    return changed;
}

} // namespace mending

DGRID_DECL bool surrogate_mender::mend(chat_chunk& chunk) {
    bool changed = false;
    for (chunk_choice& choice : chunk.choices) {
        chunk_delta& delta = choice.delta;
        changed |= mend_text(delta.content, choice.index, member::content, 0);
        changed |= mend_text(delta.reasoning_content, choice.index, member::reasoning, 0);
        for (tool_call_delta& call : delta.tool_calls)
            changed |= mend_text(call.arguments, choice.index, member::arguments, call.index);
        if (choice.finish_reason)
            changed |= finish_choice(choice);
    }
    return changed;
}

DGRID_DECL bool surrogate_mender::mend_text(std::optional<std::string>& text, std::int64_t choice, member m,
                                            std::int64_t call) {
    if (!text)
        return false;
    std::string& s = *text;
    bool changed = false;
    std::uint32_t unit = 0;
    const auto same = [&](const half& h) { return h.choice == choice && h.m == m && h.call == call; };
    if (auto it = std::find_if(waiting_.begin(), waiting_.end(), same); it != waiting_.end()) {
        if (mending::surrogate_at(s, 0, unit) && json_text::is_low_surrogate(unit)) {
            std::string joined;
            json_text::append_utf8(joined, json_text::join_surrogates(it->high, unit));
            s.replace(0, 3, joined);
        } else {
            s.insert(0, mending::replacement);
        }
        waiting_.erase(it);
        changed = true;
    }
    if (s.size() >= 3 && mending::surrogate_at(s, s.size() - 3, unit) && json_text::is_high_surrogate(unit)) {
        s.resize(s.size() - 3);
        waiting_.push_back({choice, m, call, unit});
        changed = true;
    }
    return mending::replace_lone(s) || changed;
}

DGRID_DECL void surrogate_mender::put_replacement(chunk_delta& delta, const half& h) {
    std::optional<std::string>* text = h.m == member::content ? &delta.content : &delta.reasoning_content;
    if (h.m == member::arguments) {
        auto call = std::find_if(delta.tool_calls.begin(), delta.tool_calls.end(),
                                 [&](const tool_call_delta& c) { return c.index == h.call; });
        if (call == delta.tool_calls.end()) {
            delta.tool_calls.emplace_back().index = h.call;
            call = delta.tool_calls.end() - 1;
        }
        text = &call->arguments;
    }
    if (!*text)
        text->emplace();
    (*text)->append(mending::replacement);
}

DGRID_DECL bool surrogate_mender::finish_choice(chunk_choice& choice) {
    const auto in_choice = [&](const half& h) { return h.choice == choice.index; };
    bool changed = false;
    for (const half& h : waiting_) {
        if (in_choice(h)) {
            put_replacement(choice.delta, h);
            changed = true;
        }
    }
    std::erase_if(waiting_, in_choice);
    return changed;
}

DGRID_DECL bool surrogate_mender::flush(chat_chunk& out) {
    if (waiting_.empty())
        return false;
    out = chat_chunk{};
    for (const half& h : waiting_) {
        auto choice = std::find_if(out.choices.begin(), out.choices.end(),
                                   [&](const chunk_choice& c) { return c.index == h.choice; });
        if (choice == out.choices.end()) {
            out.choices.emplace_back().index = h.choice;
            choice = out.choices.end() - 1;
        }
        put_replacement(choice->delta, h);
    }
    waiting_.clear();
    return true;
}

} // namespace dgrid::detail

#endif
