#include "emulator/chat_reply.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace dgrid::emulator {
namespace {

namespace json = boost::json;

json::object message_json(const reply_choice& choice) {
    json::object message;
    message["role"] = "assistant";
    message["content"] = choice.content ? json::value(*choice.content) : json::value(nullptr);
    if (choice.reasoning) {
        message["reasoning_content"] = *choice.reasoning;
    }
    if (choice.refusal) {
        message["refusal"] = *choice.refusal;
    }
    if (!choice.tool_calls.empty()) {
        json::array calls;
        for (const auto& call : choice.tool_calls) {
            calls.push_back(json::object{
                {"id", call.id},
                {"type", "function"},
                {"function", json::object{{"name", call.name}, {"arguments", call.arguments}}},
            });
        }
        message["tool_calls"] = std::move(calls);
    }
    return message;
}

} // namespace

json::object to_usage_json(const token_usage& usage) {
    return {
        {"prompt_tokens", usage.prompt_tokens},
        {"completion_tokens", usage.completion_tokens()},
        {"total_tokens", usage.total_tokens()},
        {"prompt_tokens_details",
         json::object{
             {"cached_tokens", 0}, {"text_tokens", usage.prompt_tokens}, {"audio_tokens", 0}, {"image_tokens", 0}}},
        {"completion_tokens_details", json::object{{"text_tokens", usage.completion_text_tokens},
                                                   {"audio_tokens", 0},
                                                   {"reasoning_tokens", usage.reasoning_tokens}}},
    };
}

std::string to_completion_json(const chat_reply& reply) {
    json::array choices;
    for (std::size_t i = 0; i < reply.choices.size(); ++i) {
        choices.push_back(json::object{
            {"index", i},
            {"message", message_json(reply.choices[i])},
            {"logprobs", nullptr},
            {"finish_reason", reply.choices[i].finish_reason},
        });
    }
    const json::object body{
        {"id", reply.id},
        {"object", "chat.completion"},
        {"created", reply.created},
        {"model", reply.model},
        {"choices", std::move(choices)},
        {"usage", to_usage_json(reply.usage)},
        {"system_fingerprint", reply.system_fingerprint},
        {"provider", reply.provider},
    };
    return json::serialize(body);
}

} // namespace dgrid::emulator
