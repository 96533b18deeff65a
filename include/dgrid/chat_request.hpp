#ifndef DGRID_CHAT_REQUEST_HPP
#define DGRID_CHAT_REQUEST_HPP

#include <dgrid/detail/described/schema_builder.hpp>
#include <dgrid/message.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dgrid {

/// A function the model may call: `{"type":"function","function":{...}}`.
struct tool {
    /// Equal when every member is.
    bool operator==(const tool&) const = default;

    /// `type`: "function", the only kind of tool.
    std::string type = "function";
    /// `function.name`: the name the model calls the function by.
    std::string name;
    /// `function.description`: what the function does, for the model to decide when to call it.
    std::optional<std::string> description;
    /// JSON Schema of the arguments; absent means no parameters.
    std::optional<boost::json::object> parameters;
    /// `function.strict`: when true, asks the model to follow the `parameters` schema exactly.
    std::optional<bool> strict;

    /// A function whose `parameters` are `json_schema<Args>()` of a described
    /// struct `Args`, `strict` unless `Args` holds an open object (a map or
    /// free JSON). The model's arguments read back into an `Args` with
    /// `from_json`; `async_run_tools` does it for each call.
    template <class Args>
    static tool function(std::string name, std::string description);
};

/// `tool_choice`: a mode ("auto", "none", "required") or one named function.
struct tool_choice {
    /// Equal when every member is.
    bool operator==(const tool_choice&) const = default;

    /// "auto" (the model decides), "none" (no tool call) or "required" (at least one).
    std::string mode = "auto";
    /// When set, forces this function and `mode` is ignored.
    std::optional<std::string> function_name;

    /// Forces the function `name`: `{"type":"function","function":{"name":...}}`.
    static tool_choice function(std::string name) { return {"function", std::move(name)}; }
};

/// `stop`: one sequence or several.
using stop_sequences = std::variant<std::string, std::vector<std::string>>;

/// A `POST /chat/completions` request. Absent optionals are not sent, so the
/// gateway's defaults apply.
struct chat_request {
    /// Equal when every member is.
    bool operator==(const chat_request&) const = default;

    /// Model id in provider/model-name form, e.g. "openai/gpt-4o".
    std::string model;
    /// `messages`: the conversation so far, oldest first.
    std::vector<message> messages;

    /// `temperature`: sampling temperature, 0 to 2 in the OpenAI API; higher is more random.
    std::optional<double> temperature;
    /// `top_p`: nucleus sampling, the probability mass of the tokens considered (0 to 1).
    std::optional<double> top_p;
    /// `n`: how many answers (choices) to generate.
    std::optional<std::int64_t> n;
    /// Set by the call: `async_chat` sends false, streaming calls send true.
    std::optional<bool> stream;
    /// `max_tokens`: the most tokens to generate (deprecated in the OpenAI API in
    /// favour of `max_completion_tokens`).
    std::optional<std::int64_t> max_tokens;
    /// `max_completion_tokens`: the most tokens to generate, reasoning tokens included.
    std::optional<std::int64_t> max_completion_tokens;
    /// `presence_penalty`, -2 to 2: positive values penalise tokens that appeared at all.
    std::optional<double> presence_penalty;
    /// `frequency_penalty`, -2 to 2: positive values penalise tokens by how often they appeared.
    std::optional<double> frequency_penalty;
    /// Token id to bias (-100 to 100); empty means not sent.
    std::map<std::int64_t, int> logit_bias;
    /// `stop`: sequences at which the model stops generating.
    std::optional<stop_sequences> stop;
    /// `tools`: the functions the model may call; empty means not sent.
    std::vector<tool> tools;
    /// `tool_choice`: whether the model must call a tool, and which.
    std::optional<dgrid::tool_choice> tool_choice;
    /// For example `{"type":"json_object"}` or a `json_schema` object.
    std::optional<boost::json::object> response_format;
    /// `seed`: asks for deterministic sampling, as far as the model allows.
    std::optional<std::int64_t> seed;
    /// `user`: an id of the end user, for the provider's abuse monitoring.
    std::optional<std::string> user;

    /// Members merged into the body as given, after the typed ones (so they
    /// win): DGrid's `contents`, `stream_options`, fields newer than this library.
    boost::json::object extra;
};
BOOST_DESCRIBE_STRUCT(chat_request, (),
                      (model, messages, temperature, top_p, n, stream, max_tokens, max_completion_tokens,
                       presence_penalty, frequency_penalty, logit_bias, stop, tools, tool_choice, response_format, seed,
                       user, extra))

template <class Args>
tool tool::function(std::string name, std::string description) {
    static_assert(detail::described_struct<Args>,
                  "dgrid: a tool's arguments are a struct described with Boost.Describe");
    detail::schema_builder builder;
    tool t;
    t.name = std::move(name);
    t.description = std::move(description);
    t.parameters = builder.build<Args>();
    t.strict = builder.strict();
    return t;
}

} // namespace dgrid

#endif
