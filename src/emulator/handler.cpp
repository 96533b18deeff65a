#include "emulator/handler.hpp"

#include "emulator/chat_request.hpp"
#include "emulator/models.hpp"
#include "emulator/utf16_escapes.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
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

// The plain reply's body, its content written as the text faults ask.
std::string completion_json(chat_reply reply, const fault_plan& faults) {
    if (!faults.utf16_split && !faults.lone_surrogate)
        return to_completion_json(reply);
    std::vector<std::string> contents;
    for (reply_choice& choice : reply.choices) {
        if (!choice.content)
            continue;
        std::string body;
        for (const std::string& piece : utf16_escaped(*choice.content, 0))
            body += piece;
        if (faults.lone_surrogate)
            body += lone_high_surrogate;
        contents.push_back(std::move(body));
        choice.content = "\x01"; // string_placeholder
    }
    std::string json = to_completion_json(reply);
    for (const std::string& body : contents)
        put_string_body(json, body);
    return json;
}

std::chrono::milliseconds parse_token_delay(std::string_view header, std::chrono::milliseconds fallback) {
    if (header.empty()) {
        return fallback;
    }
    std::uint64_t ms = 0;
    const auto* end = header.data() + header.size();
    const auto [ptr, ec] = std::from_chars(header.data(), end, ms);
    if (ec != std::errc{} || ptr != end || ms > static_cast<std::uint64_t>(max_token_delay.count())) {
        throw api_error(400,
                        std::string(token_delay_header) + " must be a whole number of milliseconds, 0-" +
                            std::to_string(max_token_delay.count()) + ", got '" + std::string(header) + "'",
                        "invalid_request_error", "invalid_header", std::string(token_delay_header));
    }
    return std::chrono::milliseconds(ms);
}

constexpr std::string_view bearer_prefix = "Bearer ";

// The path of the endpoint `request` asks for, once its key is checked: a path
// outside /v1 is a 404 even without a key, a wrong key a 401, an unknown path
// under /v1 a 404.
std::string_view authorized_path(const request_view& request, std::string_view api_key) {
    const std::string_view path = request.target.substr(0, request.target.find('?'));
    if (path != "/v1" && path.substr(0, 4) != "/v1/") {
        throw unknown_url(request.method, path);
    }
    if (api_key.empty() || request.authorization != std::string(bearer_prefix) + std::string(api_key)) {
        throw api_error(401, "Invalid API key provided", "invalid_request_error", "invalid_api_key");
    }
    if (path != "/v1/models" && path != "/v1/chat/completions") {
        throw unknown_url(request.method, path);
    }
    return path;
}

// Fills `out.reply` (and `out.stream` for a streamed completion) for the
// endpoint at `path`, one that authorized_path() accepts; returns the tokens
// the reply reports as used (`usage.total_tokens`, also when a stream omits it).
std::uint64_t answer(const request_view& request, std::string_view path, std::uint64_t request_number,
                     std::chrono::milliseconds token_delay, exchange& out) {
    const fault_plan& faults = out.faults;
    if (path == "/v1/models") {
        if (request.method != "GET") {
            out.reply = method_not_allowed(request.method, path, "GET", faults);
            return 0;
        }
        out.reply = {200, "application/json", models_list_json(), {}};
        return 0;
    }
    if (request.method != "POST") {
        out.reply = method_not_allowed(request.method, path, "POST", faults);
        return 0;
    }
    const chat_request chat = parse_chat_request(request.body);
    const std::chrono::milliseconds delay = parse_token_delay(request.token_delay, token_delay);
    const chat_reply reply = generate_reply(chat, request_number);
    if (chat.stream) {
        out.reply = {200, "text/event-stream", {}, {{"Cache-Control", "no-cache"}}};
        out.stream = make_stream_script(reply, chat.include_usage, delay, faults);
    } else {
        out.reply = {200, "application/json", completion_json(reply, faults), {}};
    }
    return reply.usage.total_tokens();
}

void add_headers(http_reply& reply, const header_list& headers) {
    reply.headers.insert(reply.headers.end(), headers.begin(), headers.end());
}

} // namespace

http_reply error_reply(const api_error& error, const fault_plan& faults, std::chrono::milliseconds retry_after) {
    http_reply reply;
    reply.status = error.status();
    if (error.status() == 429 || error.status() == 503) {
        // Rounded up: a client that waits the whole seconds is let through.
        const std::chrono::seconds seconds =
            std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(retry_after));
        reply.headers.emplace_back("Retry-After", std::to_string(seconds.count()));
        reply.headers.emplace_back("retry-after-ms", std::to_string(retry_after.count()));
    }
    if (faults.should_retry)
        reply.headers.emplace_back("x-should-retry", *faults.should_retry);
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
    case error_body::express:
        reply.content_type = "text/event-stream";
        reply.body = boost::json::serialize(
            boost::json::object{{"error", error.type()}, {"message", error.what()}, {"status", error.status()}});
        break;
    case error_body::empty: break;
    }
    return reply;
}

exchange handle_request(const request_view& request, std::string_view api_key, std::uint64_t request_number,
                        fault_budget& budget, rate_limiter& limits, std::chrono::steady_clock::time_point now,
                        std::chrono::milliseconds token_delay) {
    fault_plan faults;
    try {
        faults = parse_faults(request.faults);
    } catch (const std::invalid_argument& e) {
        return {error_reply(
                    api_error(400, e.what(), "invalid_request_error", "invalid_fault", std::string(fault_header)), {}),
                {},
                std::nullopt};
    }
    if (!budget.admit(faults)) {
        faults = {};
    }

    exchange result{{}, faults, std::nullopt};
    if (faults.status) {
        // An injected status stands in for whatever the gateway would have
        // answered, even to a request it would have refused.
        result.reply = error_reply(injected_error(*faults.status), faults);
        if (faults.error_in_200)
            result.reply.status = 200;
        return result;
    }
    std::string_view path;
    try {
        path = authorized_path(request, api_key);
    } catch (const api_error& e) {
        // Not counted against any key's limits.
        result.reply = error_reply(e, faults);
        return result;
    }
    const std::string_view key = request.authorization.substr(bearer_prefix.size());
    if (const std::optional<rate_limit_refusal> refusal = limits.admit(key, now)) {
        result.reply = error_reply(refusal->error, faults, refusal->retry_after);
        add_headers(result.reply, refusal->headers);
        return result;
    }
    std::uint64_t tokens = 0;
    try {
        tokens = answer(request, path, request_number, token_delay, result);
    } catch (const api_error& e) {
        result.reply = error_reply(e, faults);
        result.stream.reset();
    }
    // Charged now, before the headers are written, so that they include this reply's cost.
    add_headers(result.reply, limits.charge(key, tokens, now));
    return result;
}

} // namespace dgrid::emulator
