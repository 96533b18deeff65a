// Lets the model call C++ functions: each tool's parameters come from a
// described struct, and async_run_tools runs the calls (concurrently when
// the model asks for several at once) until the model answers in words.
//
//   example_tools [model] [question]
//
// See ../example_env.hpp for the environment it reads.

#include "../example_env.hpp"

#include <dgrid/dgrid.hpp>
#include <dgrid/run_tools.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/describe/class.hpp>

#include <chrono>
#include <iostream>
#include <string>

namespace asio = boost::asio;

namespace tools {

struct weather_query {
    std::string city;
};
BOOST_DESCRIBE_STRUCT(weather_query, (), (city))

struct currency_query {
    std::string from;
    std::string to;
    double amount = 0;
};
BOOST_DESCRIBE_STRUCT(currency_query, (), (from, to, amount))

struct conversion {
    double amount = 0;
    std::string currency;
};
BOOST_DESCRIBE_STRUCT(conversion, (), (amount, currency))

} // namespace tools

asio::awaitable<void> converse(dgrid::client& client, std::string model, std::string question) {
    dgrid::tool_set tools;
    // A coroutine: it may do I/O of its own (here a stand-in wait).
    tools.add<tools::weather_query>(
        "get_weather", "The current weather in a city", [](tools::weather_query q) -> asio::awaitable<std::string> {
            asio::steady_timer lookup(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
            co_await lookup.async_wait(asio::use_awaitable);
            co_return "18 degrees and sunny in " + q.city;
        });
    // A plain function returning a described struct, sent as its JSON.
    tools.add<tools::currency_query>("convert_currency", "Converts an amount between currencies",
                                     [](tools::currency_query q) {
                                         return tools::conversion{q.amount * 1.1, q.to};
                                     });

    dgrid::chat_request request;
    request.model = std::move(model);
    request.messages.push_back(dgrid::message::user(std::move(question)));

    const dgrid::run_tools_result result = co_await dgrid::async_run_tools(client, request, tools);
    for (const dgrid::message& m : result.transcript) {
        if (!m.tool_calls.empty())
            for (const dgrid::tool_call& call : m.tool_calls)
                std::cout << "call: " << call.function.name << ' ' << call.function.arguments << '\n';
        else if (m.role == "tool")
            std::cout << "result: " << m.text() << '\n';
    }
    std::cout << "answer: " << result.completion.text() << '\n';
    std::cout << "[" << result.steps << " requests]\n";
}

int main(int argc, char** argv) {
    std::string model = argc > 1 ? argv[1] : "openai/gpt-4o-mini";
    std::string question = argc > 2 ? argv[2] : "What's the weather in Rome, and what are 20 euros in dollars?";
    try {
        asio::io_context io;
        dgrid::client client(io, options_from_environment());
        asio::co_spawn(io, converse(client, std::move(model), std::move(question)), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
}
