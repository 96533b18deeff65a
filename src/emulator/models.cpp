#include "emulator/models.hpp"

#include "emulator/api_error.hpp"
#include "emulator/base64.hpp"
#include "emulator/png.hpp"
#include "emulator/schema_instance.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace dgrid::emulator {
namespace {

bool is_space(char c) noexcept { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Cuts `text` after its `words`-th word, keeping the original spacing between
// the words that stay.
std::string first_words(const std::string& text, std::uint64_t words) {
    std::uint64_t seen = 0;
    bool in_word = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (is_space(text[i])) {
            if (in_word && ++seen == words) {
                return text.substr(0, i);
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    return text;
}

reply_choice echo(const chat_request& request) {
    reply_choice choice{request.last_user_text(), std::nullopt, {}, "stop"};
    if (request.max_tokens && count_tokens(*choice.content) > *request.max_tokens) {
        choice.content = first_words(*choice.content, *request.max_tokens);
        choice.finish_reason = "length";
    }
    return choice;
}

// The texts of the tool results that end the conversation; empty when it
// does not end with any.
std::vector<std::string> trailing_tool_results(const chat_request& request) {
    std::vector<std::string> results;
    for (auto m = request.messages.rbegin(); m != request.messages.rend() && m->role == "tool"; ++m)
        results.insert(results.begin(), m->text);
    return results;
}

reply_choice call_tools(const chat_request& request) {
    if (const std::vector<std::string> results = trailing_tool_results(request); !results.empty()) {
        std::string answer = "The tools answered:";
        for (std::size_t i = 0; i < results.size(); ++i)
            answer += (i == 0 ? " " : "; ") + results[i];
        return {std::move(answer), std::nullopt, {}, "stop"};
    }
    reply_choice choice{std::nullopt, std::nullopt, {}, "tool_calls"};
    if (request.tools.empty())
        choice.tool_calls.push_back({"call_emu_1", "get_weather", R"({"location":"Paris","unit":"celsius"})"});
    for (const auto& tool : request.tools) {
        const boost::json::value arguments =
            tool.parameters.is_null() ? boost::json::object() : schema_instance(tool.parameters);
        choice.tool_calls.push_back(
            {"call_emu_" + std::to_string(choice.tool_calls.size() + 1), tool.name, boost::json::serialize(arguments)});
    }
    return choice;
}

reply_choice answer_json(const chat_request& request) {
    if (request.response_schema.is_null())
        throw api_error(400, "emulator/json answers only with response_format json_schema or json_object.",
                        "invalid_request_error", "missing_field", "response_format");
    return {boost::json::serialize(schema_instance(request.response_schema)), std::nullopt, {}, "stop", true};
}

reply_choice refuse(const chat_request&) {
    reply_choice choice{std::nullopt, std::nullopt, {}, "stop"};
    choice.refusal = "I can't help with that.";
    return choice;
}

reply_choice reason(const chat_request& request) {
    const std::string text = request.last_user_text();
    return {"Answer: " + text, "Let me think step by step. The user asked: " + text, {}, "stop"};
}

std::string image_markdown(std::uint32_t side) {
    return "![generated image](data:image/png;base64," + base64_encode(make_gradient_png(side, side)) + ")";
}

reply_choice draw(const chat_request& request) {
    // The default 8x8 gradient, enough to prove the data URI decodes to a real
    // PNG, is made once; larger sides (tests of multi-megabyte events) per request.
    static const std::string small = image_markdown(chat_request{}.image_side);
    return {request.image_side == chat_request{}.image_side ? small : image_markdown(request.image_side),
            std::nullopt,
            {},
            "stop",
            true};
}

} // namespace

std::uint64_t count_tokens(std::string_view text) noexcept {
    std::uint64_t words = 0;
    bool in_word = false;
    for (const char c : text) {
        const bool word_char = !is_space(c);
        if (word_char && !in_word) {
            ++words;
        }
        in_word = word_char;
    }
    return words;
}

std::string models_list_json() {
    boost::json::array data;
    for (const auto id : model_ids) {
        data.push_back(boost::json::object{
            {"id", id},
            {"object", "model"},
            {"created", fixed_created},
            {"owned_by", "dgrid-emulator"},
            {"supported_endpoint_types", boost::json::array{"openai"}},
        });
    }
    return boost::json::serialize(
        boost::json::object{{"object", "list"}, {"success", true}, {"data", std::move(data)}});
}

chat_reply generate_reply(const chat_request& request, std::uint64_t request_number) {
    reply_choice (*model)(const chat_request&) = nullptr;
    if (request.model == model_ids[0]) {
        model = echo;
    } else if (request.model == model_ids[1]) {
        model = call_tools;
    } else if (request.model == model_ids[2]) {
        model = reason;
    } else if (request.model == model_ids[3]) {
        model = draw;
    } else if (request.model == model_ids[4]) {
        model = answer_json;
    } else if (request.model == model_ids[5]) {
        model = refuse;
    } else {
        throw api_error(404, "The model `" + request.model + "` does not exist or you do not have access to it.",
                        "invalid_request_error", "model_not_found", "model");
    }

    chat_reply reply;
    reply.id = "chatcmpl-emu-" + std::to_string(request_number);
    reply.created = fixed_created;
    reply.model = request.model;
    reply.system_fingerprint = "fp_emulator";
    reply.provider = "emulator";
    reply.choices.assign(request.n, model(request));

    for (const auto& message : request.messages) {
        reply.usage.prompt_tokens += count_tokens(message.text);
    }
    for (const auto& choice : reply.choices) {
        reply.usage.completion_text_tokens += count_tokens(choice.content.value_or(std::string()));
        reply.usage.completion_text_tokens += count_tokens(choice.refusal.value_or(std::string()));
        for (const auto& call : choice.tool_calls) {
            reply.usage.completion_text_tokens += count_tokens(call.name) + count_tokens(call.arguments);
        }
        reply.usage.reasoning_tokens += count_tokens(choice.reasoning.value_or(std::string()));
    }
    return reply;
}

} // namespace dgrid::emulator
