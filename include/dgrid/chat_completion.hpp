#ifndef DGRID_CHAT_COMPLETION_HPP
#define DGRID_CHAT_COMPLETION_HPP

#include <dgrid/detail/described/read_value.hpp>
#include <dgrid/detail/json/lone_surrogates.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/error_with_diagnostics.hpp>
#include <dgrid/message.hpp>
#include <dgrid/response_info.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dgrid {

/// `usage.prompt_tokens_details`.
struct prompt_tokens_details {
    /// Equal when every member is.
    bool operator==(const prompt_tokens_details&) const = default;

    std::optional<std::int64_t> cached_tokens; ///< `cached_tokens`: prompt tokens read from the provider's cache.
    std::optional<std::int64_t> text_tokens;   ///< `text_tokens`: prompt tokens of text.
    std::optional<std::int64_t> audio_tokens;  ///< `audio_tokens`: prompt tokens of audio input.
    std::optional<std::int64_t> image_tokens;  ///< `image_tokens`: prompt tokens of image input.
    boost::json::object extra;                 ///< Members this library does not know.
};
BOOST_DESCRIBE_STRUCT(prompt_tokens_details, (), (cached_tokens, text_tokens, audio_tokens, image_tokens, extra))

/// `usage.completion_tokens_details`.
struct completion_tokens_details {
    /// Equal when every member is.
    bool operator==(const completion_tokens_details&) const = default;

    std::optional<std::int64_t> text_tokens;      ///< `text_tokens`: generated tokens of text.
    std::optional<std::int64_t> audio_tokens;     ///< `audio_tokens`: generated tokens of audio.
    std::optional<std::int64_t> reasoning_tokens; ///< `reasoning_tokens`: tokens the model spent reasoning.
    boost::json::object extra;                    ///< Members this library does not know.
};
BOOST_DESCRIBE_STRUCT(completion_tokens_details, (), (text_tokens, audio_tokens, reasoning_tokens, extra))

/// Token counts of a completion; a field the gateway left out is empty.
struct usage {
    /// Equal when every member is.
    bool operator==(const usage&) const = default;

    std::optional<std::int64_t> prompt_tokens;     ///< `prompt_tokens`: tokens of the input.
    std::optional<std::int64_t> completion_tokens; ///< `completion_tokens`: tokens generated.
    std::optional<std::int64_t> total_tokens;      ///< `total_tokens`: prompt and completion tokens together.
    /// `prompt_tokens_details`: a breakdown of `prompt_tokens`.
    std::optional<dgrid::prompt_tokens_details> prompt_tokens_details;
    /// `completion_tokens_details`: a breakdown of `completion_tokens`.
    std::optional<dgrid::completion_tokens_details> completion_tokens_details;
    /// Members this library does not know.
    boost::json::object extra;
};
BOOST_DESCRIBE_STRUCT(usage, (),
                      (prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details, completion_tokens_details,
                       extra))

/// One of the `n` answers.
struct choice {
    /// Equal when every member is.
    bool operator==(const choice&) const = default;

    /// `index` of this answer among the `n`.
    std::int64_t index = 0;
    /// `message`: the answer, with role "assistant".
    dgrid::message message;
    /// "stop", "length", "tool_calls", "content_filter", ...; absent if not given.
    std::optional<std::string> finish_reason;
    /// `logprobs` as received (null when absent).
    boost::json::value logprobs;
    /// Members of the choice this library does not know.
    boost::json::object extra;
};
BOOST_DESCRIBE_STRUCT(choice, (), (index, message, finish_reason, logprobs, extra))

/// The response to a chat request.
struct chat_completion {
    /// Equal when every member is.
    bool operator==(const chat_completion&) const = default;

    /// `id` of the completion.
    std::string id;
    /// "chat.completion"; not relied upon.
    std::string object;
    /// `created`: when the completion was created, in Unix seconds; absent when not sent.
    std::optional<std::int64_t> created;
    /// `model`: the model that answered, as the gateway names it.
    std::string model;
    /// `choices`: the `n` answers; empty when null or missing.
    std::vector<dgrid::choice> choices;
    /// `usage`: token counts; absent when null or missing.
    std::optional<dgrid::usage> usage;
    /// `system_fingerprint`: the backend configuration that answered; absent when not sent.
    std::optional<std::string> system_fingerprint;
    /// Top-level members this library does not know (`provider`, `cost`, ...).
    boost::json::object extra;

    /// The HTTP response it came in: status, request id, attempts, timings,
    /// rate limits. Filled by `async_chat`; not part of the JSON.
    response_info response;

    /// The text of the first choice; empty when there is none.
    std::string text() const { return choices.empty() ? std::string() : choices.front().message.text(); }

    /// The first choice's answer read as a `T` (a type described with
    /// Boost.Describe, or a standard type holding such, as `json_schema`
    /// lists them), for requests with
    /// `response_format::json_schema<T>`. Empty on failure, with `ec`:
    /// - `error::refused`: the model declined; `diag.message` is its
    ///   `refusal` (an empty one does not count);
    /// - `error::content_not_json`: no choice, or content that is not JSON
    ///   (`diag.message` says why, and notes a `finish_reason` of "length",
    ///   which cuts JSON short);
    /// - `error::type_mismatch`: JSON that does not match `T`; `diag.message`
    ///   names the path of the first mismatch (`items[2].name: expected string`).
    template <class T>
    std::optional<T> parse(error_code& ec, diagnostics& diag) const;

    /// As above, without diagnostics.
    template <class T>
    std::optional<T> parse(error_code& ec) const {
        diagnostics diag;
        return parse<T>(ec, diag);
    }

    /// As above; a failure throws `error_with_diagnostics`.
    template <class T>
    T parse() const;
};
BOOST_DESCRIBE_STRUCT(chat_completion, (), (id, object, created, model, choices, usage, system_fingerprint, extra))

template <class T>
std::optional<T> chat_completion::parse(error_code& ec, diagnostics& diag) const {
    ec = {};
    if (choices.empty()) {
        ec = error::content_not_json;
        diag.message = "the completion has no choice";
        return std::nullopt;
    }
    const choice& first = choices.front();
    if (first.message.refusal && !first.message.refusal->empty()) {
        ec = error::refused;
        diag.message = *first.message.refusal;
        return std::nullopt;
    }
    error_code json_ec;
    const boost::json::value v =
        detail::parse_json_tree(first.message.text(), {}, detail::lone_surrogate_rule::replace, json_ec);
    if (json_ec) {
        ec = error::content_not_json;
        diag.message = "the answer is not JSON: " + json_ec.message();
        if (first.finish_reason == "length")
            diag.message += " (finish_reason \"length\": the answer was cut at the token limit)";
        return std::nullopt;
    }
    std::optional<T> out(std::in_place);
    detail::read_context where;
    if (!detail::read_value(v, *out, where)) {
        ec = error::type_mismatch;
        diag.message = where.message();
        return std::nullopt;
    }
    return out;
}

template <class T>
T chat_completion::parse() const {
    error_code ec;
    diagnostics diag;
    std::optional<T> out = parse<T>(ec, diag);
    if (ec)
        throw error_with_diagnostics(ec, std::move(diag));
    return std::move(*out);
}

} // namespace dgrid

#endif
