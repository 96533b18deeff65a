#ifndef DGRID_CHAT_REQUEST_HPP
#define DGRID_CHAT_REQUEST_HPP

#include <dgrid/http_header.hpp>
#include <dgrid/message.hpp>

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
    std::string type = "function";
    std::string name;
    std::optional<std::string> description;
    /// JSON Schema of the arguments; absent means no parameters.
    std::optional<boost::json::object> parameters;
    std::optional<bool> strict;
};

/// `tool_choice`: a mode ("auto", "none", "required") or one named function.
struct tool_choice {
    std::string mode = "auto";
    /// When set, forces this function and `mode` is ignored.
    std::optional<std::string> function_name;

    static tool_choice function(std::string name) { return {"function", std::move(name)}; }
};

/// `stop`: one sequence or several.
using stop_sequences = std::variant<std::string, std::vector<std::string>>;

/// A `POST /chat/completions` request. Absent optionals are not sent, so the
/// gateway's defaults apply.
struct chat_request {
    /// Model id in provider/model-name form, e.g. "openai/gpt-4o".
    std::string model;
    std::vector<message> messages;

    std::optional<double> temperature;
    std::optional<double> top_p;
    std::optional<std::int64_t> n;
    /// Set by the call: `async_chat` sends false, streaming calls send true.
    std::optional<bool> stream;
    std::optional<std::int64_t> max_tokens;
    std::optional<std::int64_t> max_completion_tokens;
    std::optional<double> presence_penalty;
    std::optional<double> frequency_penalty;
    /// Token id to bias (-100 to 100); empty means not sent.
    std::map<std::int64_t, int> logit_bias;
    std::optional<stop_sequences> stop;
    std::vector<tool> tools;
    std::optional<dgrid::tool_choice> tool_choice;
    /// For example `{"type":"json_object"}` or a `json_schema` object.
    std::optional<boost::json::object> response_format;
    std::optional<std::int64_t> seed;
    std::optional<std::string> user;

    /// Members merged into the body as given, after the typed ones (so they
    /// win): DGrid's `contents`, `stream_options`, fields newer than this library.
    boost::json::object extra;

    /// Headers for this request only, after the client's default headers
    /// (not part of the JSON body).
    std::vector<http_header> extra_headers;
};

} // namespace dgrid

#endif
