// Non-streaming chat completions and model listing against the TLS emulator,
// through every kind of completion token.

#include "fixture.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <thread>

using namespace dgrid;
using namespace dgrid::test;

BOOST_AUTO_TEST_SUITE(chat)

BOOST_FIXTURE_TEST_CASE(echo_answers_with_the_last_user_message, emulator_fixture) {
    auto c = make_client();
    auto completion = run([&]() -> asio::awaitable<chat_completion> {
        chat_request request = echo_request("Hello over TLS");
        request.messages.insert(request.messages.begin(), message::system("be brief"));
        co_return co_await c.async_chat(std::move(request));
    }());
    BOOST_TEST(completion.object == "chat.completion");
    BOOST_TEST(completion.model == "emulator/echo");
    BOOST_TEST(!completion.id.empty());
    BOOST_TEST(completion.created.has_value());
    BOOST_REQUIRE_EQUAL(completion.choices.size(), 1u);
    const auto& choice = completion.choices[0];
    BOOST_TEST(choice.index == 0);
    BOOST_TEST(choice.message.role == "assistant");
    BOOST_TEST(choice.message.text() == "Hello over TLS");
    BOOST_TEST(choice.finish_reason.value_or("") == "stop");
    BOOST_REQUIRE(completion.usage.has_value());
    BOOST_TEST(completion.usage->prompt_tokens.value_or(0) > 0);
    BOOST_TEST(completion.usage->total_tokens.value_or(0) ==
               completion.usage->prompt_tokens.value_or(0) + completion.usage->completion_tokens.value_or(0));
    BOOST_TEST(completion.usage->prompt_tokens_details.has_value());
    BOOST_TEST(completion.usage->completion_tokens_details.has_value());
    BOOST_TEST(completion.system_fingerprint.value_or("") == "fp_emulator");
    // Unknown members stay reachable.
    BOOST_TEST(completion.extra.contains("provider"));
}

// A request and an answer of many TLS records each, written and read in
// pieces, on one connection that then serves another request.
BOOST_FIXTURE_TEST_CASE(a_megabyte_each_way_over_one_connection, emulator_fixture) {
    std::string prompt;
    for (unsigned i = 0; prompt.size() < (1u << 20); ++i)
        prompt += "w" + std::to_string(i * 7919u % 100003u) + (i % 13 == 0 ? "\n" : " ");
    prompt += "end";
    auto c = make_client();
    auto big = chat(c, echo_request(prompt));
    BOOST_TEST(big.ec == error_code());
    BOOST_TEST((big.text == prompt));
    auto small = chat(c, echo_request("and then a small one"));
    BOOST_TEST(small.ec == error_code());
    BOOST_TEST(small.text == "and then a small one");
    BOOST_TEST(c.stats().open == 1u);
    BOOST_TEST(c.stats().tls_handshakes == 1u);
}

BOOST_FIXTURE_TEST_CASE(n_choices_and_length_limit, emulator_fixture) {
    auto c = make_client();
    auto completion = run([&]() -> asio::awaitable<chat_completion> {
        chat_request request = echo_request("one two three four five");
        request.n = 3;
        request.max_tokens = 2;
        co_return co_await c.async_chat(std::move(request));
    }());
    BOOST_REQUIRE_EQUAL(completion.choices.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        BOOST_TEST(completion.choices[i].index == static_cast<std::int64_t>(i));
        BOOST_TEST(completion.choices[i].message.text() == "one two");
        BOOST_TEST(completion.choices[i].finish_reason.value_or("") == "length");
    }
}

BOOST_FIXTURE_TEST_CASE(tool_call_round_trip, emulator_fixture) {
    auto c = make_client();
    auto completion = run([&]() -> asio::awaitable<chat_completion> {
        chat_request request;
        request.model = "emulator/tools";
        request.messages.push_back(message::user("Weather in Paris?"));
        tool weather;
        weather.name = "lookup_weather";
        weather.description = "Current weather";
        weather.parameters = boost::json::object{
            {"type", "object"},
            {"properties", boost::json::object{{"location", {{"type", "string"}}},
                                               {"unit", {{"type", "string"}, {"enum", {"celsius", "fahrenheit"}}}}}}};
        request.tools.push_back(weather);
        request.tool_choice = tool_choice{"auto"};
        auto first = co_await c.async_chat(request);
        // The answer goes back into the conversation as it is, then the tool result.
        request.messages.push_back(first.choices.at(0).message);
        request.messages.push_back(message::tool(first.choices.at(0).message.tool_calls.at(0).id, "18 C, sunny"));
        request.model = "emulator/echo";
        auto second = co_await c.async_chat(request);
        BOOST_TEST(second.text() == "Weather in Paris?");
        co_return first;
    }());
    const auto& msg = completion.choices.at(0).message;
    BOOST_TEST(!msg.content.has_value());
    BOOST_TEST(completion.choices[0].finish_reason.value_or("") == "tool_calls");
    BOOST_REQUIRE_EQUAL(msg.tool_calls.size(), 1u);
    BOOST_TEST(msg.tool_calls[0].id == "call_emu_1");
    BOOST_TEST(msg.tool_calls[0].type == "function");
    BOOST_TEST(msg.tool_calls[0].function.name == "lookup_weather");
    // The emulator's instance of the schema: a string is its property's name, an enum its first value.
    BOOST_TEST(msg.tool_calls[0].function.arguments == R"({"location":"location","unit":"celsius"})");
}

BOOST_FIXTURE_TEST_CASE(reasoning_content, emulator_fixture) {
    auto c = make_client();
    auto completion = run([&]() -> asio::awaitable<chat_completion> {
        chat_request request = echo_request("why?");
        request.model = "emulator/reasoning";
        co_return co_await c.async_chat(std::move(request));
    }());
    const auto& msg = completion.choices.at(0).message;
    BOOST_TEST(msg.reasoning_content.value_or("") == "Let me think step by step. The user asked: why?");
    BOOST_TEST(msg.text() == "Answer: why?");
    BOOST_TEST(completion.usage->completion_tokens_details->reasoning_tokens.value_or(0) > 0);
}

BOOST_FIXTURE_TEST_CASE(image_model_returns_a_data_uri, emulator_fixture) {
    auto c = make_client();
    auto completion = run([&]() -> asio::awaitable<chat_completion> {
        chat_request request = echo_request("draw a city");
        request.model = "emulator/image";
        co_return co_await c.async_chat(std::move(request));
    }());
    BOOST_TEST(completion.text().starts_with("![generated image](data:image/png;base64,iVBORw0KGgo"));
}

BOOST_FIXTURE_TEST_CASE(multimodal_parts_and_extra_members_are_sent, emulator_fixture) {
    auto c = make_client();
    auto completion = run([&]() -> asio::awaitable<chat_completion> {
        chat_request request;
        request.model = "emulator/echo";
        request.messages.push_back(message::user(std::vector<content_part>{
            text_part{"describe "}, image_url_part{"data:image/png;base64,iVBORw0KGgo=", "low"}, text_part{"this"}}));
        request.extra["contents"] = boost::json::array{boost::json::object{{"role", "user"}}};
        request.stop = std::vector<std::string>{"\n\n", "END"};
        request.temperature = 0.5;
        request.seed = 7;
        request.user = "tester";
        request.logit_bias[50256] = -100;
        co_return co_await c.async_chat(std::move(request));
    }());
    BOOST_TEST(completion.text() == "describe this");
}

// A request's headers are written by the client (without headers of the
// call's own, from a head written once per client): default headers reach the
// server, and the call's extra headers replace default ones whatever their case.
BOOST_FIXTURE_TEST_CASE(default_and_extra_headers_reach_the_server, emulator_fixture) {
    client_options options = client_options_for();
    options.default_headers = {{"X-Emulator-Fault", "status=400"}, {"Accept", "application/json"}};
    auto c = make_client(options);
    BOOST_TEST(chat(c, echo_request("x")).ec == error::bad_request);
    BOOST_TEST(stream(c, echo_request("x")).ec == error::bad_request);

    test_call overridden = echo_request("sent with the extra header");
    overridden.options.extra_headers.push_back({"x-emulator-fault", "stall=1"});
    for (const call_result& result : {chat(c, overridden), stream(c, overridden)}) {
        BOOST_TEST(!result.ec, result.ec.message() << " " << result.diag.message);
        BOOST_TEST(result.text == "sent with the extra header");
    }
}

BOOST_FIXTURE_TEST_CASE(list_models, emulator_fixture) {
    auto c = make_client();
    auto models = run([&]() -> asio::awaitable<model_list> { co_return co_await c.async_list_models(); }());
    std::vector<std::string> ids;
    for (const auto& m : models.data)
        ids.push_back(m.id);
    for (const char* expected : {"emulator/echo", "emulator/tools", "emulator/reasoning", "emulator/image",
                                 "emulator/json", "emulator/refusal"})
        BOOST_TEST((std::find(ids.begin(), ids.end(), expected) != ids.end()), expected);
    BOOST_TEST(models.data.at(0).owned_by == "dgrid-emulator");
    BOOST_TEST(models.data.at(0).supported_endpoint_types.size() >= 1u);
    BOOST_TEST(models.extra.contains("success"));
}

BOOST_AUTO_TEST_SUITE(completion_tokens)

BOOST_FIXTURE_TEST_CASE(plain_use_awaitable_gives_error_codes_by_exception, emulator_fixture) {
    auto c = make_client();
    auto text = run([&]() -> asio::awaitable<std::string> {
        auto completion = co_await c.async_chat(echo_request("plain awaitable"), asio::use_awaitable);
        co_return completion.text();
    }());
    BOOST_TEST(text == "plain awaitable");
}

BOOST_FIXTURE_TEST_CASE(deferred, emulator_fixture) {
    auto c = make_client();
    auto op = c.async_chat(echo_request("deferred"), asio::deferred);
    std::string text;
    std::move(op)([&](error_code ec, chat_completion completion) {
        BOOST_TEST(!ec);
        text = completion.text();
    });
    io.run();
    BOOST_TEST(text == "deferred");
}

BOOST_FIXTURE_TEST_CASE(use_future_from_another_thread, emulator_fixture) {
    auto options = client_options_for();
    options.thread_safe = true;
    auto c = make_client(options);
    auto guard = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    std::future<chat_completion> future = c.async_chat(echo_request("future"), asio::use_future);
    BOOST_TEST(future.get().text() == "future");
    // Errors arrive as the exception_ptr of the future.
    auto failing = c.async_chat(echo_request("x"), fault("status=500"), asio::use_future);
    BOOST_CHECK_THROW(failing.get(), boost::system::system_error);
    guard.reset();
    runner.join();
}

BOOST_FIXTURE_TEST_CASE(callback_with_diagnostics, emulator_fixture) {
    auto c = make_client();
    diagnostics diag;
    error_code result = error::invalid_json;
    c.async_chat(echo_request("x"), fault("status=429"), diag, [&](error_code ec, chat_completion) { result = ec; });
    io.run();
    BOOST_TEST(result == error::rate_limited);
    BOOST_TEST(diag.http_status == 429u);
    BOOST_TEST(diag.type == "rate_limit_error");
    BOOST_TEST(diag.retry_after.has_value());
    BOOST_TEST(!diag.request_id.empty());
}

BOOST_FIXTURE_TEST_CASE(default_token_throws_error_with_diagnostics, emulator_fixture) {
    auto c = make_client();
    auto what = run([&]() -> asio::awaitable<std::string> {
        try {
            const chat_request request = echo_request("x");
            const request_options unauthorized = fault("status=401");
            co_await c.async_chat(request, unauthorized);
        } catch (const error_with_diagnostics& e) {
            BOOST_TEST(e.code() == error::authentication_failed);
            BOOST_TEST(e.get_diagnostics().http_status == 401u);
            co_return std::string(e.what());
        }
        co_return std::string("no exception");
    }());
    BOOST_TEST(what.find("HTTP 401") != std::string::npos, what);
}

BOOST_FIXTURE_TEST_CASE(with_diagnostics_around_a_plain_token_keeps_the_callers_diagnostics, emulator_fixture) {
    auto c = make_client();
    diagnostics diag;
    std::exception_ptr thrown;
    c.async_chat(echo_request("x"), fault("status=503"), diag,
                 with_diagnostics([&](std::exception_ptr e, chat_completion) { thrown = e; }));
    io.run();
    BOOST_REQUIRE(thrown);
    BOOST_TEST(diag.http_status == 503u);
    try {
        std::rethrow_exception(thrown);
    } catch (const error_with_diagnostics& e) {
        BOOST_TEST(e.code() == error::service_unavailable);
        BOOST_TEST(e.get_diagnostics().http_status == 503u);
    }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
