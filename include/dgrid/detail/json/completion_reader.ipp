#ifndef DGRID_DETAIL_JSON_COMPLETION_READER_IPP
#define DGRID_DETAIL_JSON_COMPLETION_READER_IPP

#include <dgrid/detail/json/completion_reader.hpp>
#include <dgrid/detail/json/json_scanner.ipp>

#include <string>
#include <variant>

namespace dgrid::detail {

namespace completion_reading {

// The typed members of each object, in the order of their names below.
enum class completion_key { id, object, created, model, choices, usage, system_fingerprint };
inline constexpr std::string_view completion_keys[] = {"id",      "object", "created",           "model",
                                                       "choices", "usage",  "system_fingerprint"};

enum class choice_key { index, message, finish_reason, logprobs };
inline constexpr std::string_view choice_keys[] = {"index", "message", "finish_reason", "logprobs"};

enum class message_key { role, content, name, tool_calls, tool_call_id, reasoning_content, reasoning, refusal };
inline constexpr std::string_view message_keys[] = {"role",         "content",           "name",      "tool_calls",
                                                    "tool_call_id", "reasoning_content", "reasoning", "refusal"};

enum class tool_call_key { id, type, function };
inline constexpr std::string_view tool_call_keys[] = {"id", "type", "function"};

enum class function_key { name, arguments };
inline constexpr std::string_view function_keys[] = {"name", "arguments"};

enum class usage_key { prompt_tokens, completion_tokens, total_tokens, prompt_details, completion_details };
inline constexpr std::string_view usage_keys[] = {"prompt_tokens", "completion_tokens", "total_tokens",
                                                  "prompt_tokens_details", "completion_tokens_details"};

enum class prompt_details_key { cached_tokens, text_tokens, audio_tokens, image_tokens };
inline constexpr std::string_view prompt_details_keys[] = {"cached_tokens", "text_tokens", "audio_tokens",
                                                           "image_tokens"};

enum class completion_details_key { text_tokens, audio_tokens, reasoning_tokens };
inline constexpr std::string_view completion_details_keys[] = {"text_tokens", "audio_tokens", "reasoning_tokens"};

// The position of `key` among `names`, or -1.
template <std::size_t N>
int key_index(std::string_view key, const std::string_view (&names)[N]) noexcept {
    for (std::size_t i = 0; i < N; ++i)
        if (key.size() == names[i].size() && key_is(key, names[i]))
            return static_cast<int>(i);
    return -1;
}

// Nesting of the values of each object's members (the top level is 1).
inline constexpr std::size_t completion_member_depth = 2;
inline constexpr std::size_t usage_member_depth = 3;
inline constexpr std::size_t choice_member_depth = 4;
inline constexpr std::size_t details_member_depth = 4;
inline constexpr std::size_t message_member_depth = 5;
inline constexpr std::size_t tool_call_member_depth = 7;
inline constexpr std::size_t function_member_depth = 8;

} // namespace completion_reading

DGRID_DECL bool completion_reader::read(std::string_view text, chat_completion& out) {
    start(text);
    return completion_object(out) && at_end_of_text();
}

DGRID_DECL bool completion_reader::completion_object(chat_completion& out) {
    using namespace completion_reading;
    member_set seen;
    return members([&](std::string_view key) {
        const int i = key_index(key, completion_keys);
        if (i < 0)
            return extra_member(out.extra, key, completion_member_depth);
        if (!seen.first_time(i))
            return false;
        switch (static_cast<completion_key>(i)) {
        case completion_key::id: return text(out.id);
        case completion_key::object: return text(out.object);
        case completion_key::created: return optional_integer(out.created);
        case completion_key::model: return text(out.model);
        case completion_key::choices: return object_array(out.choices, [this](choice& c) { return choice_object(c); });
        case completion_key::usage: return optional_object(out.usage, [this](usage& u) { return usage_object(u); });
        case completion_key::system_fingerprint: return optional_text(out.system_fingerprint);
        }
        return false;
    });
}

DGRID_DECL bool completion_reader::choice_object(choice& out) {
    using namespace completion_reading;
    member_set seen;
    return members([&](std::string_view key) {
        const int i = key_index(key, choice_keys);
        if (i < 0)
            return extra_member(out.extra, key, choice_member_depth);
        if (!seen.first_time(i))
            return false;
        switch (static_cast<choice_key>(i)) {
        case choice_key::index: return *p_ == 'n' ? literal("null") : integer(out.index);
        case choice_key::message: return *p_ == 'n' ? literal("null") : message_object(out.message);
        case choice_key::finish_reason: return optional_text(out.finish_reason);
        case choice_key::logprobs: return any_value(choice_member_depth, out.logprobs);
        }
        return false;
    });
}

DGRID_DECL bool completion_reader::message_object(message& out) {
    using namespace completion_reading;
    member_set seen;
    return members([&](std::string_view key) {
        const int i = key_index(key, message_keys);
        if (i < 0)
            return extra_member(out.extra, key, message_member_depth);
        if (!seen.first_time(i))
            return false;
        switch (static_cast<message_key>(i)) {
        case message_key::role: return text(out.role);
        case message_key::content: {
            if (*p_ == 'n')
                return literal("null");
            std::string_view v;
            if (*p_ != '"' || !string(v))
                return false; // parts, or the wrong type
            out.content.emplace(std::in_place_type<std::string>, v);
            return true;
        }
        case message_key::name: return optional_text(out.name);
        case message_key::tool_calls:
            return object_array(out.tool_calls, [this](tool_call& c) { return tool_call_object(c); });
        case message_key::tool_call_id: return optional_text(out.tool_call_id);
        case message_key::reasoning_content: return optional_text(out.reasoning_content);
        case message_key::reasoning: return false;
        case message_key::refusal: return optional_text(out.refusal);
        }
        return false;
    });
}

// A tool call has no `extra`: unknown members (`index` when streamed) are
// dropped, as by the tree reader.
DGRID_DECL bool completion_reader::tool_call_object(tool_call& out) {
    using namespace completion_reading;
    member_set seen;
    return members([&](std::string_view key) {
        const int i = key_index(key, tool_call_keys);
        if (i < 0)
            return skip_value(tool_call_member_depth);
        if (!seen.first_time(i))
            return false;
        switch (static_cast<tool_call_key>(i)) {
        case tool_call_key::id: return text(out.id);
        case tool_call_key::type: return text(out.type); // null keeps "function"
        case tool_call_key::function: return *p_ == 'n' ? literal("null") : function_object(out);
        }
        return false;
    });
}

DGRID_DECL bool completion_reader::function_object(tool_call& out) {
    using namespace completion_reading;
    member_set seen;
    return members([&](std::string_view key) {
        const int i = key_index(key, function_keys);
        if (i < 0)
            return skip_value(function_member_depth);
        if (!seen.first_time(i))
            return false;
        return text(static_cast<function_key>(i) == function_key::name ? out.function.name : out.function.arguments);
    });
}

DGRID_DECL bool completion_reader::usage_object(usage& out) {
    using namespace completion_reading;
    member_set seen;
    return members([&](std::string_view key) {
        const int i = key_index(key, usage_keys);
        if (i < 0)
            return extra_member(out.extra, key, usage_member_depth);
        if (!seen.first_time(i))
            return false;
        switch (static_cast<usage_key>(i)) {
        case usage_key::prompt_tokens: return optional_integer(out.prompt_tokens);
        case usage_key::completion_tokens: return optional_integer(out.completion_tokens);
        case usage_key::total_tokens: return optional_integer(out.total_tokens);
        case usage_key::prompt_details:
            return optional_object(out.prompt_tokens_details,
                                   [this](prompt_tokens_details& d) { return prompt_details_object(d); });
        case usage_key::completion_details:
            return optional_object(out.completion_tokens_details,
                                   [this](completion_tokens_details& d) { return completion_details_object(d); });
        }
        return false;
    });
}

DGRID_DECL bool completion_reader::prompt_details_object(prompt_tokens_details& out) {
    using namespace completion_reading;
    member_set seen;
    return members([&](std::string_view key) {
        const int i = key_index(key, prompt_details_keys);
        if (i < 0)
            return extra_member(out.extra, key, details_member_depth);
        if (!seen.first_time(i))
            return false;
        switch (static_cast<prompt_details_key>(i)) {
        case prompt_details_key::cached_tokens: return optional_integer(out.cached_tokens);
        case prompt_details_key::text_tokens: return optional_integer(out.text_tokens);
        case prompt_details_key::audio_tokens: return optional_integer(out.audio_tokens);
        case prompt_details_key::image_tokens: return optional_integer(out.image_tokens);
        }
        return false;
    });
}

DGRID_DECL bool completion_reader::completion_details_object(completion_tokens_details& out) {
    using namespace completion_reading;
    member_set seen;
    return members([&](std::string_view key) {
        const int i = key_index(key, completion_details_keys);
        if (i < 0)
            return extra_member(out.extra, key, details_member_depth);
        if (!seen.first_time(i))
            return false;
        switch (static_cast<completion_details_key>(i)) {
        case completion_details_key::text_tokens: return optional_integer(out.text_tokens);
        case completion_details_key::audio_tokens: return optional_integer(out.audio_tokens);
        case completion_details_key::reasoning_tokens: return optional_integer(out.reasoning_tokens);
        }
        return false;
    });
}

// The member is placed before its value is read: the key may be a view of
// the scanner's buffer, which the value may overwrite. A key named twice goes
// to the tree.
DGRID_DECL bool completion_reader::extra_member(boost::json::object& extra, std::string_view key, std::size_t depth) {
    auto [it, inserted] = extra.emplace(boost::json::string_view(key.data(), key.size()), nullptr);
    return inserted && any_value(depth, it->value());
}

template <class T, class ReadObject>
bool completion_reader::optional_object(std::optional<T>& to, ReadObject read_object) {
    if (*p_ == 'n')
        return literal("null");
    return *p_ == '{' && read_object(to.emplace());
}

// A null element is left to the tree, which reads it as an empty object.
template <class T, class ReadObject>
bool completion_reader::object_array(std::vector<T>& to, ReadObject read_object) {
    if (*p_ == 'n')
        return literal("null");
    return elements([&] { return *p_ == '{' && read_object(to.emplace_back()); });
}

DGRID_DECL bool completion_reader::text(std::string& to) {
    if (*p_ == 'n')
        return literal("null");
    std::string_view v;
    if (*p_ != '"' || !string(v))
        return false;
    to.assign(v);
    return true;
}

DGRID_DECL bool completion_reader::optional_text(std::optional<std::string>& to) {
    if (*p_ == 'n') {
        to.reset();
        return literal("null");
    }
    std::string_view v;
    if (*p_ != '"' || !string(v))
        return false;
    to.emplace(v);
    return true;
}

DGRID_DECL bool completion_reader::optional_integer(std::optional<std::int64_t>& to) {
    if (*p_ == 'n') {
        to.reset();
        return literal("null");
    }
    std::int64_t value = 0;
    if (!integer(value))
        return false;
    to = value;
    return true;
}

} // namespace dgrid::detail

#endif
