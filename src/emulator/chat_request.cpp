#include "emulator/chat_request.hpp"

#include "emulator/api_error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace dgrid::emulator {
namespace {

namespace json = boost::json;

api_error bad_field(const std::string& code, const std::string& param, const std::string& message) {
    return {400, message, "invalid_request_error", code, param};
}

api_error missing(const std::string& param) {
    return bad_field("missing_field", param, "Missing required parameter: '" + param + "'.");
}

api_error wrong_type(const std::string& param, const std::string& expected) {
    return bad_field("invalid_type", param, "Invalid type for '" + param + "': expected " + expected + ".");
}

// A positive integer field; JSON numbers with a fraction are refused like the
// real API does.
std::optional<std::uint64_t> positive_integer(const json::object& body, const std::string& name) {
    const auto* v = body.if_contains(name);
    if (v == nullptr || v->is_null()) {
        return std::nullopt;
    }
    if (v->is_uint64()) {
        if (v->get_uint64() == 0) {
            throw bad_field("invalid_value", name, "Invalid '" + name + "': must be at least 1.");
        }
        return v->get_uint64();
    }
    if (v->is_int64()) {
        if (v->get_int64() < 1) {
            throw bad_field("invalid_value", name, "Invalid '" + name + "': must be at least 1.");
        }
        return static_cast<std::uint64_t>(v->get_int64());
    }
    throw wrong_type(name, "an integer");
}

std::string message_text(const json::value& content, const std::string& param) {
    if (content.is_null()) {
        return {}; // an assistant message that only carries tool calls
    }
    if (const auto* s = content.if_string()) {
        return std::string(*s);
    }
    const auto* parts = content.if_array();
    if (parts == nullptr) {
        throw wrong_type(param, "a string, an array of content parts or null");
    }
    std::string text;
    for (const auto& part : *parts) {
        const auto* obj = part.if_object();
        if (obj == nullptr) {
            throw wrong_type(param, "an array of content part objects");
        }
        const auto* type = obj->if_contains("type");
        const auto* part_text = obj->if_contains("text");
        if (type != nullptr && type->is_string() && type->get_string() == "text" && part_text != nullptr &&
            part_text->is_string()) {
            text += part_text->get_string();
        }
    }
    return text;
}

// The schema of a `response_format`: `{"type":"json_schema","json_schema":{"schema":...}}`
// or `{"type":"json_object"}`; null for `{"type":"text"}`.
json::value response_schema(const json::value& format) {
    const auto* type = format.is_object() ? format.get_object().if_contains("type") : nullptr;
    if (type == nullptr || !type->is_string()) {
        throw wrong_type("response_format", "an object with a string 'type'");
    }
    if (*type == "text") {
        return nullptr;
    }
    if (*type == "json_object") {
        return json::object{{"type", "object"}};
    }
    if (*type != "json_schema") {
        throw bad_field("invalid_value", "response_format.type",
                        "Invalid 'response_format.type': expected 'text', 'json_object' or 'json_schema'.");
    }
    const auto* spec = format.get_object().if_contains("json_schema");
    const auto* schema = spec && spec->is_object() ? spec->get_object().if_contains("schema") : nullptr;
    if (schema == nullptr || !schema->is_object()) {
        throw missing("response_format.json_schema.schema");
    }
    return *schema;
}

} // namespace

std::string chat_request::last_user_text() const {
    const auto it =
        std::find_if(messages.rbegin(), messages.rend(), [](const chat_message& m) { return m.role == "user"; });
    return it == messages.rend() ? std::string() : it->text;
}

chat_request parse_chat_request(std::string_view body) {
    boost::system::error_code ec;
    const json::value root = json::parse(body, ec);
    if (ec) {
        throw api_error(400,
                        "We could not parse the JSON body of your request (" + ec.message() +
                            "). The OpenAI API expects a JSON payload.",
                        "invalid_request_error", "invalid_json");
    }
    const auto* obj = root.if_object();
    if (obj == nullptr) {
        throw api_error(400, "The request body must be a JSON object.", "invalid_request_error", "invalid_json");
    }

    chat_request request;
    const auto* model = obj->if_contains("model");
    if (model == nullptr || model->is_null()) {
        throw missing("model");
    }
    if (!model->is_string()) {
        throw wrong_type("model", "a string");
    }
    request.model = model->get_string();

    const auto* messages = obj->if_contains("messages");
    if (messages == nullptr || messages->is_null()) {
        throw missing("messages");
    }
    if (!messages->is_array()) {
        throw wrong_type("messages", "an array");
    }
    if (messages->get_array().empty()) {
        throw bad_field("invalid_value", "messages", "Invalid 'messages': empty array. Expected at least one message.");
    }
    std::size_t index = 0;
    for (const auto& m : messages->get_array()) {
        const std::string param = "messages[" + std::to_string(index++) + "]";
        const auto* message = m.if_object();
        if (message == nullptr) {
            throw wrong_type(param, "an object");
        }
        const auto* role = message->if_contains("role");
        if (role == nullptr) {
            throw missing(param + ".role");
        }
        if (!role->is_string()) {
            throw wrong_type(param + ".role", "a string");
        }
        const auto* content = message->if_contains("content");
        request.messages.push_back({std::string(role->get_string()),
                                    content == nullptr ? std::string() : message_text(*content, param + ".content")});
    }

    if (const auto n = positive_integer(*obj, "n")) {
        request.n = static_cast<unsigned>(std::min<std::uint64_t>(*n, max_choices));
    }
    const auto max_tokens = positive_integer(*obj, "max_tokens");
    const auto max_completion_tokens = positive_integer(*obj, "max_completion_tokens");
    if (max_tokens && max_completion_tokens) {
        request.max_tokens = std::min(*max_tokens, *max_completion_tokens);
    } else {
        request.max_tokens = max_tokens ? max_tokens : max_completion_tokens;
    }

    if (const auto* tools = obj->if_contains("tools"); tools != nullptr && !tools->is_null()) {
        if (!tools->is_array()) {
            throw wrong_type("tools", "an array");
        }
        for (const auto& tool : tools->get_array()) {
            const auto* function = tool.is_object() ? tool.get_object().if_contains("function") : nullptr;
            const auto* name =
                function != nullptr && function->is_object() ? function->get_object().if_contains("name") : nullptr;
            if (name != nullptr && name->is_string()) {
                const auto* parameters = function->get_object().if_contains("parameters");
                request.tools.push_back({std::string(name->get_string()), parameters ? *parameters : json::value()});
            }
        }
    }

    if (const auto* format = obj->if_contains("response_format"); format != nullptr && !format->is_null()) {
        request.response_schema = response_schema(*format);
    }

    if (const auto* stream = obj->if_contains("stream"); stream != nullptr && !stream->is_null()) {
        if (!stream->is_bool()) {
            throw wrong_type("stream", "a boolean");
        }
        request.stream = stream->get_bool();
    }
    // Accepted without `stream` too: a gateway passes it on rather than refusing.
    if (const auto* options = obj->if_contains("stream_options"); options != nullptr && !options->is_null()) {
        if (!options->is_object()) {
            throw wrong_type("stream_options", "an object");
        }
        const auto* include = options->get_object().if_contains("include_usage");
        if (include != nullptr && !include->is_null()) {
            if (!include->is_bool()) {
                throw wrong_type("stream_options.include_usage", "a boolean");
            }
            request.include_usage = include->get_bool();
        }
    }

    // An emulator extension, so that tests can ask for multi-megabyte images.
    if (const auto side = positive_integer(*obj, "emulator_image_side")) {
        if (*side > max_image_side) {
            throw bad_field("invalid_value", "emulator_image_side",
                            "Invalid 'emulator_image_side': must be at most " + std::to_string(max_image_side) + ".");
        }
        request.image_side = static_cast<std::uint32_t>(*side);
    }
    return request;
}

} // namespace dgrid::emulator
