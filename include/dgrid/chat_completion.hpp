#ifndef DGRID_CHAT_COMPLETION_HPP
#define DGRID_CHAT_COMPLETION_HPP

#include <dgrid/message.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dgrid {

/// `usage.prompt_tokens_details`.
struct prompt_tokens_details {
    std::optional<std::int64_t> cached_tokens;
    std::optional<std::int64_t> text_tokens;
    std::optional<std::int64_t> audio_tokens;
    std::optional<std::int64_t> image_tokens;
    boost::json::object extra;
};

/// `usage.completion_tokens_details`.
struct completion_tokens_details {
    std::optional<std::int64_t> text_tokens;
    std::optional<std::int64_t> audio_tokens;
    std::optional<std::int64_t> reasoning_tokens;
    boost::json::object extra;
};

/// Token counts of a completion; a field the gateway left out is empty.
struct usage {
    std::optional<std::int64_t> prompt_tokens;
    std::optional<std::int64_t> completion_tokens;
    std::optional<std::int64_t> total_tokens;
    std::optional<dgrid::prompt_tokens_details> prompt_tokens_details;
    std::optional<dgrid::completion_tokens_details> completion_tokens_details;
    boost::json::object extra;
};

/// One of the `n` answers.
struct choice {
    std::int64_t index = 0;
    dgrid::message message;
    /// "stop", "length", "tool_calls", "content_filter", ...; absent if not given.
    std::optional<std::string> finish_reason;
    /// `logprobs` as received (null when absent).
    boost::json::value logprobs;
    boost::json::object extra;
};

/// The response to a chat request.
struct chat_completion {
    std::string id;
    /// "chat.completion"; not relied upon.
    std::string object;
    std::optional<std::int64_t> created;
    std::string model;
    std::vector<dgrid::choice> choices;
    std::optional<dgrid::usage> usage;
    std::optional<std::string> system_fingerprint;
    /// Top-level members this library does not know (`provider`, `cost`, ...).
    boost::json::object extra;

    /// The text of the first choice; empty when there is none.
    std::string text() const { return choices.empty() ? std::string() : choices.front().message.text(); }
};

} // namespace dgrid

#endif
