// dgrid chat [--model M] [--system TEXT] [--no-stream] [--json] [--reasoning] PROMPT
#include "commands.hpp"

#include <dgrid/chat_stream.hpp>
#include <dgrid/client.hpp>
#include <dgrid/json.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>

namespace dgrid_cli {
namespace {

namespace asio = boost::asio;

struct chat_flags {
    std::string model = "openai/gpt-4o-mini";
    std::string system;
    bool no_stream = false;
    bool json = false;
    bool reasoning = false;
    std::string prompt;
};

asio::awaitable<int> chat(dgrid::client& client, const chat_flags& flags) {
    dgrid::chat_request request;
    request.model = flags.model;
    if (!flags.system.empty())
        request.messages.push_back(dgrid::message::system(flags.system));
    request.messages.push_back(dgrid::message::user(flags.prompt));
    dgrid::diagnostics diag;
    constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
    if (flags.no_stream) {
        auto [ec, completion] = co_await client.async_chat(request, diag, tuple_awaitable);
        if (ec) {
            report_error("chat", ec, diag);
            co_return exit_failed;
        }
        if (flags.json) {
            std::cout << boost::json::serialize(dgrid::to_json(completion)) << '\n';
        } else {
            const dgrid::message* answer = completion.choices.empty() ? nullptr : &completion.choices[0].message;
            if (flags.reasoning && answer && answer->reasoning_content)
                std::cerr << *answer->reasoning_content << '\n';
            std::cout << completion.text() << '\n';
        }
        co_return exit_ok;
    }
    auto [ec, stream] = co_await client.async_chat_stream(request, diag, tuple_awaitable);
    if (ec) {
        report_error("chat", ec, diag);
        co_return exit_failed;
    }
    for (;;) {
        auto [next_ec, more] = co_await stream.async_next(diag, tuple_awaitable);
        if (next_ec) {
            std::cout << std::flush;
            report_error("chat", next_ec, diag);
            co_return exit_failed;
        }
        if (!more)
            break;
        const dgrid::chat_chunk& chunk = stream.chunk();
        if (flags.json) {
            std::cout << boost::json::serialize(dgrid::to_json(chunk)) << '\n';
            continue;
        }
        if (flags.reasoning && !chunk.choices.empty() && chunk.choices[0].delta.reasoning_content)
            std::cerr << *chunk.choices[0].delta.reasoning_content << std::flush;
        std::cout << chunk.text() << std::flush;
    }
    if (!flags.json)
        std::cout << '\n';
    co_return exit_ok;
}

} // namespace

void add_chat_command(CLI::App& app, const connection_flags& connection, int& exit_code) {
    auto flags = std::make_shared<chat_flags>();
    CLI::App* cmd = app.add_subcommand("chat", "Ask a model; its answer is streamed to stdout");
    cmd->add_option("--model,-m", flags->model, "The model")->capture_default_str();
    cmd->add_option("--system,-s", flags->system, "A system message before the prompt");
    cmd->add_flag("--no-stream", flags->no_stream, "Wait for the whole answer instead of streaming it");
    cmd->add_flag("--json", flags->json, "Print the completion (or each chunk) as JSON lines");
    cmd->add_flag("--reasoning", flags->reasoning, "Write the model's reasoning to stderr");
    cmd->add_option("prompt", flags->prompt, "What to ask")->required();
    cmd->callback([&connection, &exit_code, flags] {
        exit_code = run_with_client(connection, [&](dgrid::client& client) { return chat(client, *flags); });
    });
}

} // namespace dgrid_cli
