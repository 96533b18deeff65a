// Tool calling end to end: async_run_tools against the emulator's tools
// model, which calls every tool offered with arguments built from its
// schema and answers in words once the results are in.
#include "fixture.hpp"

#include <dgrid/run_tools.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/describe/class.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace dgrid;
using namespace dgrid::test;
using namespace std::chrono_literals;

namespace calls {

struct weather_args {
    std::string city;
    int days = 0;
};
BOOST_DESCRIBE_STRUCT(weather_args, (), (city, days))

struct time_args {
    std::string zone;
};
BOOST_DESCRIBE_STRUCT(time_args, (), (zone))

struct clock_reading {
    std::string zone;
    int hour = 0;
};
BOOST_DESCRIBE_STRUCT(clock_reading, (), (zone, hour))

} // namespace calls

using namespace calls;

namespace {

chat_request tools_request() {
    chat_request request = echo_request("Weather and time in Paris?");
    request.model = "emulator/tools";
    return request;
}

// Two tools: one a coroutine returning text, one a plain function returning a described result.
tool_set weather_and_time(std::atomic<int>* running = nullptr, std::atomic<int>* most = nullptr) {
    tool_set tools;
    tools.add<weather_args>("get_weather", "Weather in a city",
                            [running, most](weather_args a) -> asio::awaitable<std::string> {
                                if (running) {
                                    const int now = ++*running;
                                    int seen = most->load();
                                    while (now > seen && !most->compare_exchange_weak(seen, now)) {
                                    }
                                }
                                asio::steady_timer pause(co_await asio::this_coro::executor, 20ms);
                                co_await pause.async_wait(asio::use_awaitable);
                                if (running)
                                    --*running;
                                co_return "sunny in " + a.city + " for " + std::to_string(a.days) + " day";
                            });
    tools.add<time_args>("get_time", "Time in a zone", [](time_args a) { return clock_reading{a.zone, 9}; });
    return tools;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tools)

BOOST_FIXTURE_TEST_CASE(calls_run_and_the_model_answers, emulator_fixture) {
    auto c = make_client();
    std::atomic<int> running{0}, most{0};
    const run_tools_result result = run(async_run_tools(c, tools_request(), weather_and_time(&running, &most)));
    BOOST_TEST(result.steps == 2u);
    BOOST_TEST(result.completion.text() == R"(The tools answered: sunny in city for 1 day; {"zone":"zone","hour":9})");
    // user, the assistant's two calls, two results, the answer
    BOOST_REQUIRE_EQUAL(result.transcript.size(), 5u);
    BOOST_TEST(result.transcript[0].role == "user");
    const message& turn = result.transcript[1];
    BOOST_TEST(turn.role == "assistant");
    BOOST_REQUIRE_EQUAL(turn.tool_calls.size(), 2u);
    BOOST_TEST(turn.tool_calls[0].function.name == "get_weather");
    BOOST_TEST(turn.tool_calls[0].function.arguments == R"({"city":"city","days":1})");
    BOOST_TEST(turn.tool_calls[1].function.name == "get_time");
    BOOST_TEST(result.transcript[2].role == "tool");
    BOOST_TEST(result.transcript[2].tool_call_id.value_or("") == turn.tool_calls[0].id);
    BOOST_TEST(result.transcript[3].tool_call_id.value_or("") == turn.tool_calls[1].id);
    BOOST_TEST(result.transcript[4].text() == result.completion.text());
    BOOST_TEST(most.load() == 1); // one call of the coroutine tool per turn

    // The tools' definitions came from their argument types.
    chat_request request = tools_request();
    request.tools = weather_and_time().definitions();
    BOOST_TEST(request.tools.size() == 2u);
    BOOST_TEST(request.tools[0].strict.value_or(false));
}

BOOST_FIXTURE_TEST_CASE(calls_of_one_turn_run_concurrently, emulator_fixture) {
    auto c = make_client();
    std::atomic<int> running{0}, most{0};
    tool_set tools = weather_and_time(&running, &most);
    // The same tool offered twice more under other names: three concurrent calls of it.
    tool_set more = tools;
    for (const char* name : {"get_weather_again", "get_weather_once_more"})
        more.add<weather_args>(name, "Weather again", [&](weather_args a) -> asio::awaitable<std::string> {
            const int now = ++running;
            int seen = most.load();
            while (now > seen && !most.compare_exchange_weak(seen, now)) {
            }
            asio::steady_timer pause(co_await asio::this_coro::executor, 50ms);
            co_await pause.async_wait(asio::use_awaitable);
            --running;
            co_return a.city;
        });
    const run_tools_result result = run(async_run_tools(c, tools_request(), more));
    BOOST_TEST(result.steps == 2u);
    BOOST_TEST(most.load() >= 2);
}

BOOST_FIXTURE_TEST_CASE(a_call_of_no_tool_goes_back_to_the_model, emulator_fixture) {
    auto c = make_client();
    chat_request request = tools_request();
    tool stray;
    stray.name = "not_in_the_set";
    request.tools.push_back(stray); // the model calls it too
    const run_tools_result result = run(async_run_tools(c, request, weather_and_time()));
    BOOST_TEST(result.completion.text().find(R"({"error":"there is no tool named `not_in_the_set`"})") !=
               std::string::npos);

    // Or ends the run, with the policy that says so.
    run_tools_options options;
    options.on_error = tool_error_policy::fail;
    diagnostics diag;
    auto [ec, failed] =
        run(async_run_tools(c, request, weather_and_time(), options, diag, asio::as_tuple(asio::use_awaitable)));
    BOOST_TEST(ec == error::tool_failed);
    BOOST_TEST(diag.message == "there is no tool named `not_in_the_set`");
    BOOST_TEST(failed.steps == 1u);
    // user, the turn with three calls, an answer to each: the transcript can go on.
    BOOST_REQUIRE_EQUAL(failed.transcript.size(), 5u);
    BOOST_TEST(failed.transcript[4].role == "tool");
}

BOOST_FIXTURE_TEST_CASE(arguments_that_do_not_fit_go_back_to_the_model, emulator_fixture) {
    auto c = make_client();
    chat_request request = tools_request();
    // A definition of the same name whose schema makes the emulator send `days` as a string.
    tool clash;
    clash.name = "get_weather";
    clash.parameters = boost::json::object{
        {"type", "object"},
        {"properties", boost::json::object{{"city", {{"type", "string"}}}, {"days", {{"type", "string"}}}}}};
    request.tools.push_back(clash);
    const run_tools_result result = run(async_run_tools(c, request, weather_and_time()));
    BOOST_TEST(result.completion.text().find(
                   "the arguments of `get_weather` do not match its parameters: days: expected integer") !=
               std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_handler_that_throws, emulator_fixture) {
    auto c = make_client();
    tool_set tools;
    tools.add<time_args>("get_time", "Time", [](time_args) -> std::string { throw std::runtime_error("no clock"); });
    const run_tools_result result = run(async_run_tools(c, tools_request(), tools));
    BOOST_TEST(result.completion.text() == R"(The tools answered: {"error":"the tool `get_time` failed: no clock"})");

    run_tools_options options;
    options.on_error = tool_error_policy::fail;
    diagnostics diag;
    auto [ec, failed] =
        run(async_run_tools(c, tools_request(), tools, options, diag, asio::as_tuple(asio::use_awaitable)));
    BOOST_TEST(ec == error::tool_failed);
    BOOST_TEST(diag.message == "the tool `get_time` failed: no clock");
}

BOOST_FIXTURE_TEST_CASE(the_step_limit, emulator_fixture) {
    auto c = make_client();
    run_tools_options options;
    options.max_steps = 1;
    diagnostics diag;
    auto [ec, result] = run(
        async_run_tools(c, tools_request(), weather_and_time(), options, diag, asio::as_tuple(asio::use_awaitable)));
    BOOST_TEST(ec == error::too_many_steps);
    BOOST_TEST(result.steps == 1u);
    BOOST_TEST(result.transcript.size() == 2u); // the tools were not run
    BOOST_TEST(!result.transcript[1].tool_calls.empty());

    // The default token throws with the diagnostics.
    BOOST_CHECK_EXCEPTION(run(async_run_tools(c, tools_request(), weather_and_time(), options)), error_with_diagnostics,
                          [](const error_with_diagnostics& e) {
                              return e.code() == error::too_many_steps &&
                                     e.get_diagnostics().message.find("1 steps") != std::string::npos;
                          });
}

BOOST_FIXTURE_TEST_CASE(no_steps_at_all, emulator_fixture) {
    auto c = make_client();
    run_tools_options options;
    options.max_steps = 0;
    diagnostics diag;
    auto [ec, result] = run(
        async_run_tools(c, tools_request(), weather_and_time(), options, diag, asio::as_tuple(asio::use_awaitable)));
    BOOST_TEST(ec == boost::system::errc::invalid_argument);
    BOOST_TEST(result.steps == 0u);
    BOOST_TEST(server.requests_served() == 0u);
}

BOOST_FIXTURE_TEST_CASE(the_handler_runs_on_its_executor, emulator_fixture) {
    auto c = make_client();
    auto strand = asio::make_strand(io);
    bool on_strand = false;
    error_code ec;
    async_run_tools(c, tools_request(), weather_and_time(),
                    asio::bind_executor(strand, [&](error_code e, run_tools_result) {
                        ec = e;
                        on_strand = strand.running_in_this_thread();
                    }));
    io.restart();
    io.run();
    BOOST_TEST(!ec, ec.message());
    BOOST_TEST(on_strand);
}

BOOST_FIXTURE_TEST_CASE(a_failed_request_ends_the_run, emulator_fixture) {
    auto c = make_client();
    chat_request request = tools_request();
    request.model = "emulator/no-such-model";
    diagnostics diag;
    auto [ec, result] = run(async_run_tools(c, request, weather_and_time(), run_tools_options{}, diag,
                                            asio::as_tuple(asio::use_awaitable)));
    BOOST_TEST(ec == error::not_found);
    BOOST_TEST(diag.http_status == 404u);
    BOOST_TEST(result.steps == 1u);
}

BOOST_FIXTURE_TEST_CASE(cancellation_reaches_the_tools, emulator_fixture) {
    auto c = make_client();
    tool_set tools;
    bool cancelled = false;
    tools.add<time_args>("get_time", "Time", [&](time_args) -> asio::awaitable<std::string> {
        asio::steady_timer forever(co_await asio::this_coro::executor, 1h);
        auto [ec] = co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
        cancelled = ec == asio::error::operation_aborted;
        co_return "never";
    });
    asio::cancellation_signal signal;
    asio::steady_timer soon(io, 100ms);
    soon.async_wait([&](error_code) { signal.emit(asio::cancellation_type::terminal); });
    auto [ec, result] =
        run(async_run_tools(c, tools_request(), tools, run_tools_options{},
                            asio::bind_cancellation_slot(signal.slot(), asio::as_tuple(asio::use_awaitable))));
    BOOST_TEST(cancelled);
    BOOST_TEST(ec == asio::error::operation_aborted);
    BOOST_TEST(result.steps == 1u);
}

BOOST_AUTO_TEST_CASE(a_tool_set_parses_and_reports) {
    asio::io_context io;
    tool_set tools = weather_and_time();
    auto call = [&](const char* name, const char* arguments) {
        tool_call c;
        c.id = "call_1";
        c.function = {name, arguments};
        auto f = asio::co_spawn(io, tools.call(c), asio::use_future);
        io.restart();
        io.run();
        return f.get();
    };
    tool_outcome ok = call("get_time", R"({"zone":"CET"})");
    BOOST_TEST(!ok.ec);
    BOOST_TEST(ok.content == R"({"zone":"CET","hour":9})");
    tool_outcome not_json = call("get_time", "{zone");
    BOOST_TEST(not_json.ec == error::content_not_json);
    BOOST_TEST(not_json.error.find("the arguments of `get_time` are not JSON") == 0u);
    tool_outcome wrong = call("get_weather", R"({"city":"Oslo"})");
    BOOST_TEST(wrong.ec == error::type_mismatch);
    BOOST_TEST(wrong.error == "the arguments of `get_weather` do not match its parameters: days: missing");
    BOOST_TEST(wrong.content ==
               R"({"error":"the arguments of `get_weather` do not match its parameters: days: missing"})");
    tool_outcome empty = call("get_time", "");
    BOOST_TEST(empty.ec == error::type_mismatch); // no arguments read as {}

    tool_set throws_anything;
    throws_anything.add<time_args>("odd", "", [](time_args) -> std::string { throw 42; });
    tools = throws_anything;
    tool_outcome odd = call("odd", R"({"zone":"x"})");
    BOOST_TEST(odd.ec == error::tool_failed);
    BOOST_TEST(odd.error == "the tool `odd` failed: an exception not derived from std::exception");

    BOOST_CHECK_THROW(tools.add<time_args>("odd", "again", [](time_args) { return std::string(); }),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
