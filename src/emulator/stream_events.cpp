#include "emulator/stream_events.hpp"

#include "emulator/utf16_escapes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

namespace dgrid::emulator {
namespace {

namespace json = boost::json;

// About how many bytes of tool-call arguments one fragment carries.
constexpr std::size_t argument_fragment = 8;

bool is_space(char c) noexcept { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool is_utf8_continuation(char c) noexcept { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

// `text` in fragments of `size` bytes, each stretched to end on a code point
// boundary so that every fragment is valid UTF-8 on its own.
std::vector<std::string_view> fragments(std::string_view text, std::size_t size) {
    std::vector<std::string_view> out;
    std::size_t begin = 0;
    while (begin < text.size()) {
        std::size_t end = std::min(text.size(), begin + size);
        while (end < text.size() && is_utf8_continuation(text[end])) {
            ++end;
        }
        out.push_back(text.substr(begin, end - begin));
        begin = end;
    }
    return out;
}

std::string chunk_json(const chat_reply& reply, json::array choices, json::value usage) {
    const json::object chunk{
        {"id", reply.id},
        {"object", "chat.completion.chunk"},
        {"created", reply.created},
        {"model", reply.model},
        {"system_fingerprint", reply.system_fingerprint},
        {"choices", std::move(choices)},
        {"usage", std::move(usage)},
        {"provider", reply.provider},
    };
    return json::serialize(chunk);
}

stream_event choice_event(const chat_reply& reply, event_kind kind, std::size_t index, json::object delta,
                          json::value finish_reason = nullptr) {
    json::array choices{json::object{
        {"index", index},
        {"delta", std::move(delta)},
        {"finish_reason", std::move(finish_reason)},
        {"logprobs", nullptr},
    }};
    return {kind, chunk_json(reply, std::move(choices), nullptr)};
}

// The content's pieces as string bodies written by hand, for the faults that
// ask for escapes (`utf16-split`, `lone-surrogate`); none without them.
std::vector<std::string> escaped_content(std::string_view content, const fault_plan& faults) {
    if (!faults.utf16_split && !faults.lone_surrogate)
        return {};
    std::vector<std::string> pieces;
    if (faults.utf16_split) {
        pieces = utf16_escaped(content, *faults.utf16_split);
    } else {
        for (const auto token : split_tokens(content))
            pieces.push_back(utf16_escaped(token, 0).front());
    }
    if (faults.lone_surrogate) {
        if (pieces.empty())
            pieces.emplace_back();
        pieces.back() += lone_high_surrogate;
    }
    return pieces;
}

// One choice's events, in order.
std::vector<stream_event> choice_events(const chat_reply& reply, std::size_t index, const fault_plan& faults) {
    const reply_choice& choice = reply.choices[index];
    std::vector<stream_event> events;
    // A pure tool-call answer has `content: null`; the role chunk says the same
    // so that the accumulated stream equals the plain reply.
    const json::value initial_content = choice.content ? json::value("") : json::value(nullptr);
    events.push_back(choice_event(reply, event_kind::role, index,
                                  json::object{{"role", "assistant"}, {"content", initial_content}}));

    if (choice.reasoning) {
        for (const auto token : split_tokens(*choice.reasoning)) {
            events.push_back(choice_event(reply, event_kind::token, index, json::object{{"reasoning_content", token}}));
        }
    }
    if (choice.refusal) {
        events.push_back(choice_event(reply, event_kind::token, index, json::object{{"refusal", *choice.refusal}}));
    }
    if (choice.content) {
        std::vector<std::string_view> pieces;
        if (choice.whole_content) {
            if (!choice.content->empty()) {
                pieces.emplace_back(*choice.content);
            }
        } else {
            pieces = split_tokens(*choice.content);
        }
        const std::vector<std::string> escaped = escaped_content(*choice.content, faults);
        for (const std::string& body : escaped) {
            stream_event& e = events.emplace_back(
                choice_event(reply, event_kind::token, index, json::object{{"content", "\x01"}})); // string_placeholder
            put_string_body(e.data, body);
        }
        for (const auto piece : escaped.empty() ? pieces : std::vector<std::string_view>{}) {
            events.push_back(choice_event(reply, event_kind::token, index, json::object{{"content", piece}}));
        }
    }
    for (std::size_t call = 0; call < choice.tool_calls.size(); ++call) {
        const tool_call& tc = choice.tool_calls[call];
        json::object first{
            {"index", call},
            {"id", tc.id},
            {"type", "function"},
            {"function", json::object{{"name", tc.name}, {"arguments", ""}}},
        };
        events.push_back(
            choice_event(reply, event_kind::token, index, json::object{{"tool_calls", json::array{std::move(first)}}}));
        for (const auto fragment : fragments(tc.arguments, argument_fragment)) {
            json::object more{{"index", call}, {"function", json::object{{"arguments", fragment}}}};
            events.push_back(choice_event(reply, event_kind::token, index,
                                          json::object{{"tool_calls", json::array{std::move(more)}}}));
        }
    }
    events.push_back(choice_event(reply, event_kind::finish, index, json::object{}, json::value(choice.finish_reason)));
    return events;
}

// The position of the first comma outside a JSON string, or npos.
std::size_t structural_comma(std::string_view text) noexcept {
    bool in_string = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == ',') {
            return i;
        }
    }
    return std::string_view::npos;
}

} // namespace

std::vector<std::string_view> split_tokens(std::string_view text) {
    std::vector<std::string_view> tokens;
    std::size_t begin = 0;
    bool has_word = false; // whether text[begin, i) holds a word yet
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (is_space(text[i])) {
            continue;
        }
        if (has_word && is_space(text[i - 1])) {
            tokens.push_back(text.substr(begin, i - begin));
            begin = i;
        }
        has_word = true;
    }
    if (begin < text.size()) {
        tokens.push_back(text.substr(begin));
    }
    return tokens;
}

std::vector<stream_event> to_stream_events(const chat_reply& reply, bool include_usage, const fault_plan& faults) {
    std::vector<std::vector<stream_event>> per_choice;
    std::size_t longest = 0;
    for (std::size_t i = 0; i < reply.choices.size(); ++i) {
        per_choice.push_back(choice_events(reply, i, faults));
        longest = std::max(longest, per_choice.back().size());
    }
    std::vector<stream_event> events;
    for (std::size_t round = 0; round < longest; ++round) {
        for (auto& choice : per_choice) {
            if (round < choice.size()) {
                events.push_back(std::move(choice[round]));
            }
        }
    }
    if (include_usage) {
        events.push_back({event_kind::usage, chunk_json(reply, json::array{}, to_usage_json(reply.usage))});
    }
    if (!faults.no_done) {
        events.push_back({event_kind::done, "[DONE]"});
    }
    return events;
}

std::string stream_error_data(const chat_reply& reply, bool with_choices) {
    json::object error{{"error", json::object{{"message", "Upstream provider error"},
                                              {"type", "server_error"},
                                              {"param", nullptr},
                                              {"code", "upstream_error"}}}};
    if (with_choices) {
        error["id"] = reply.id;
        error["object"] = "chat.completion.chunk";
        error["model"] = reply.model;
        error["choices"] = json::array{
            json::object{{"index", 0}, {"delta", json::object{{"content", ""}}}, {"finish_reason", "error"}}};
    }
    return json::serialize(error);
}

std::string frame_event(std::string_view data, const sse_framing& framing) {
    const std::string_view eol = framing.crlf ? "\r\n" : "\n";
    const std::string_view field = framing.no_space ? "data:" : "data: ";
    std::string out;
    out.reserve(data.size() + 32);
    if (framing.keepalive) {
        out.append(": PING").append(eol).append(eol);
    }
    // The two lines are joined with "\n" by the client: whitespace to JSON.
    const std::size_t comma = framing.multi_data ? structural_comma(data) : std::string_view::npos;
    if (comma != std::string_view::npos) {
        out.append(field).append(data.substr(0, comma + 1)).append(eol);
        out.append(field).append(data.substr(comma + 1)).append(eol);
    } else {
        out.append(field).append(data).append(eol);
    }
    out.append(eol);
    return out;
}

std::size_t strike_position(const std::vector<stream_event>& events, std::uint64_t k) {
    std::size_t position = 0;
    while (position < events.size() && events[position].kind == event_kind::role) {
        ++position;
    }
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < events.size() && seen < k; ++i) {
        if (events[i].kind == event_kind::token) {
            position = i + 1;
            ++seen;
        }
    }
    return position;
}

stream_script make_stream_script(const chat_reply& reply, bool include_usage, std::chrono::milliseconds token_delay,
                                 const fault_plan& faults) {
    const std::vector<stream_event> events = to_stream_events(reply, include_usage, faults);
    const sse_framing framing{faults.crlf, faults.no_space, faults.multi_data, faults.keepalive};

    enum class strike_kind { reset, error, cut };
    struct strike {
        std::size_t position;
        strike_kind kind;
    };
    std::optional<strike> first;
    const auto consider = [&](std::optional<std::uint64_t> k, strike_kind kind) {
        if (!k) {
            return;
        }
        const std::size_t position = strike_position(events, *k);
        // Strictly earlier only: the order of the calls breaks ties.
        if (!first || position < first->position) {
            first = strike{position, kind};
        }
    };
    std::optional<std::uint64_t> reset_after = faults.stream_reset;
    if (!reset_after && faults.reset_mid_body) {
        const auto tokens = std::count_if(events.begin(), events.end(),
                                          [](const stream_event& e) { return e.kind == event_kind::token; });
        reset_after = static_cast<std::uint64_t>(tokens) / 2;
    }
    consider(reset_after, strike_kind::reset);
    consider(faults.stream_error, strike_kind::error);
    consider(faults.stream_cut, strike_kind::cut);

    const std::size_t stall_position =
        faults.stall_stream.count() > 0 ? strike_position(events, 1) : std::string_view::npos;
    const std::size_t last = first ? first->position : events.size();

    stream_script script;
    if (faults.keepalive) {
        const std::string_view eol = faults.crlf ? "\r\n" : "\n";
        script.steps.push_back({{}, std::string(": OPENROUTER PROCESSING").append(eol).append(eol)});
    }
    for (std::size_t i = 0; i < last; ++i) {
        auto delay = events[i].kind == event_kind::token ? token_delay : std::chrono::milliseconds(0);
        if (i == stall_position && faults.keepalive) {
            // A gateway that only proves it is alive: a comment every 50 ms
            // of the stall, which must not count as progress.
            constexpr std::chrono::milliseconds ping_every{50};
            const std::string_view eol = faults.crlf ? "\r\n" : "\n";
            auto left = faults.stall_stream;
            for (; left > ping_every; left -= ping_every)
                script.steps.push_back({ping_every, std::string(": PING").append(eol).append(eol)});
            delay += left;
        } else if (i == stall_position) {
            delay += faults.stall_stream;
        }
        script.steps.push_back({delay, frame_event(events[i].data, framing)});
    }
    if (first) {
        if (stall_position == last) {
            script.steps.push_back({faults.stall_stream, {}});
        }
        if (first->kind == strike_kind::error) {
            script.steps.push_back({{}, frame_event(stream_error_data(reply, faults.error_choices), framing)});
        }
        if (first->kind == strike_kind::reset) {
            script.end = stream_end::reset;
        }
    }
    return script;
}

} // namespace dgrid::emulator
