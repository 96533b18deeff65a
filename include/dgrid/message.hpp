#ifndef DGRID_MESSAGE_HPP
#define DGRID_MESSAGE_HPP

#include <boost/describe/class.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dgrid {

/// A text part of a multi-part message content: `{"type":"text","text":...}`.
struct text_part {
    /// Equal when every member is.
    bool operator==(const text_part&) const = default;

    std::string text; ///< `text`.
};

/// An image part: `{"type":"image_url","image_url":{"url":...,"detail":...}}`.
/// `url` is an `https://` URL or a `data:<mime>;base64,...` URI.
struct image_url_part {
    /// Equal when every member is.
    bool operator==(const image_url_part&) const = default;

    std::string url;                   ///< `image_url.url`: an `https://` URL or a data URI.
    std::optional<std::string> detail; ///< "auto", "low" or "high"
};

/// One part of a multi-part message content.
using content_part = std::variant<text_part, image_url_part>;

/// Message content: plain text, or a list of parts (text, images).
using message_content = std::variant<std::string, std::vector<content_part>>;

/// The function a tool call invokes; `arguments` is JSON text as the model
/// produced it (it may not be valid JSON).
struct function_call {
    /// Equal when every member is.
    bool operator==(const function_call&) const = default;

    std::string name;      ///< `name` of the function.
    std::string arguments; ///< `arguments`: the arguments as JSON text.
};
BOOST_DESCRIBE_STRUCT(function_call, (), (name, arguments))

/// A tool call in an assistant message.
struct tool_call {
    /// Equal when every member is.
    bool operator==(const tool_call&) const = default;

    std::string id;                ///< `id`, which the "tool" message answering the call gives as `tool_call_id`.
    std::string type = "function"; ///< `type`: "function".
    function_call function;        ///< `function`: which function, with which arguments.
    /// Members this library does not know, kept as received and sent back as
    /// given: Gemini's `extra_content` (its thought signature must come back
    /// with the call).
    boost::json::object extra{};
};
BOOST_DESCRIBE_STRUCT(tool_call, (), (id, type, function, extra))

/// A chat message, in requests and in responses alike, so that an answer can
/// be appended to the conversation as it is.
struct message {
    /// Equal when every member is.
    bool operator==(const message&) const = default;

    /// "system", "developer", "user", "assistant" or "tool".
    std::string role;

    /// Absent for an assistant message that only calls tools.
    std::optional<message_content> content;

    /// Optional participant name.
    std::optional<std::string> name;

    /// Tool calls of an assistant message.
    std::vector<tool_call> tool_calls;

    /// For role "tool": the id of the call this message answers.
    std::optional<std::string> tool_call_id;

    /// Reasoning text of reasoning models (`reasoning_content`, or
    /// `reasoning` on some upstreams).
    std::optional<std::string> reasoning_content;

    /// `refusal`: why the model declined to answer, instead of `content`
    /// (structured outputs; see `chat_completion::parse`).
    std::optional<std::string> refusal;

    /// Members this library does not know, kept as received or sent as given.
    boost::json::object extra;

    /// The text of `content`: the string, or its text parts joined; empty when absent.
    std::string text() const;

    /// A "system" message (instructions to the model) holding `text`.
    static message system(std::string text) { return with_text("system", std::move(text)); }
    /// A "developer" message, the newer role for instructions in the OpenAI API, holding `text`.
    static message developer(std::string text) { return with_text("developer", std::move(text)); }
    /// A "user" message holding `text`.
    static message user(std::string text) { return with_text("user", std::move(text)); }
    /// A "user" message of several parts: text and images (`image_from_url`, ...).
    static message user(std::vector<content_part> parts) {
        message m;
        m.role = "user";
        m.content = std::move(parts);
        return m;
    }
    /// An "assistant" message holding `text`, e.g. an earlier answer.
    static message assistant(std::string text) { return with_text("assistant", std::move(text)); }
    /// The answer to the tool call `call_id`.
    static message tool(std::string call_id, std::string text) {
        message m = with_text("tool", std::move(text));
        m.tool_call_id = std::move(call_id);
        return m;
    }

private:
    static message with_text(const char* role, std::string text) {
        message m;
        m.role = role;
        m.content = std::move(text);
        return m;
    }
};

inline std::string message::text() const {
    if (!content)
        return {};
    if (const auto* s = std::get_if<std::string>(&*content))
        return *s;
    std::string joined;
    for (const auto& part : std::get<std::vector<content_part>>(*content))
        if (const auto* t = std::get_if<text_part>(&part))
            joined += t->text;
    return joined;
}

} // namespace dgrid

#endif
