#include "emulator/handler.hpp"

#include "emulator/chat_request.hpp"
#include "emulator/models.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>

namespace dgrid::emulator {
namespace {

api_error unknown_url(std::string_view method, std::string_view path) {
    return {404, "Invalid URL (" + std::string(method) + " " + std::string(path) + ")", "invalid_request_error",
            "unknown_url"};
}

http_reply method_not_allowed(std::string_view method, std::string_view path, std::string_view allowed,
                              const fault_plan& faults) {
    http_reply reply =
        error_reply(api_error(405, "Method " + std::string(method) + " is not allowed on " + std::string(path),
                              "invalid_request_error", "method_not_allowed"),
                    faults);
    reply.headers.emplace_back("Allow", allowed);
    return reply;
}

http_reply route(const request_view& request, std::string_view api_key, std::uint64_t request_number,
                 const fault_plan& faults) {
    const std::string_view path = request.target.substr(0, request.target.find('?'));
    if (path != "/v1" && path.substr(0, 4) != "/v1/") {
        throw unknown_url(request.method, path);
    }
    if (api_key.empty() || request.authorization != "Bearer " + std::string(api_key)) {
        throw api_error(401, "Invalid API key provided", "invalid_request_error", "invalid_api_key");
    }

    if (path == "/v1/models") {
        if (request.method != "GET") {
            return method_not_allowed(request.method, path, "GET", faults);
        }
        return {200, "application/json", models_list_json(), {}};
    }
    if (path == "/v1/chat/completions") {
        if (request.method != "POST") {
            return method_not_allowed(request.method, path, "POST", faults);
        }
        const chat_request chat = parse_chat_request(request.body);
        if (chat.stream) {
            throw api_error(400, "The emulator does not stream yet; send \"stream\": false.", "invalid_request_error",
                            "unsupported_parameter", "stream");
        }
        return {200, "application/json", to_completion_json(generate_reply(chat, request_number)), {}};
    }
    throw unknown_url(request.method, path);
}

} // namespace

http_reply error_reply(const api_error& error, const fault_plan& faults) {
    http_reply reply;
    reply.status = error.status();
    if (error.status() == 429 || error.status() == 503) {
        reply.headers.emplace_back("Retry-After", "1");
        reply.headers.emplace_back("retry-after-ms", "1000");
    }
    switch (faults.body_for(error.status())) {
    case error_body::json: {
        const boost::json::value code =
            faults.code_as_number ? boost::json::value(error.status()) : boost::json::value(error.code());
        const boost::json::value param =
            error.param() ? boost::json::value(*error.param()) : boost::json::value(nullptr);
        reply.body = boost::json::serialize(boost::json::object{
            {"error", boost::json::object{
                          {"message", error.what()}, {"type", error.type()}, {"param", param}, {"code", code}}}});
        break;
    }
    case error_body::html:
        reply.content_type = "text/html; charset=utf-8";
        reply.body = "<html><body><h1>" + std::to_string(error.status()) + " " +
                     std::string(reason_phrase(error.status())) + "</h1></body></html>";
        break;
    case error_body::empty: break;
    }
    return reply;
}

exchange handle_request(const request_view& request, std::string_view api_key, std::uint64_t request_number,
                        fault_budget& budget) {
    fault_plan faults;
    try {
        faults = parse_faults(request.faults);
    } catch (const std::invalid_argument& e) {
        return {error_reply(
                    api_error(400, e.what(), "invalid_request_error", "invalid_fault", std::string(fault_header)), {}),
                {}};
    }
    if (!budget.admit(faults)) {
        faults = {};
    }

    exchange result{{}, faults};
    if (faults.status) {
        // An injected status stands in for whatever the gateway would have
        // answered, even to a request it would have refused.
        result.reply = error_reply(injected_error(*faults.status), faults);
        return result;
    }
    try {
        result.reply = route(request, api_key, request_number, faults);
    } catch (const api_error& e) {
        result.reply = error_reply(e, faults);
    }
    return result;
}

} // namespace dgrid::emulator
