// Asks one question and prints the answer and the token usage.
//
//   example_chat [model] [question]
//
// See ../example_env.hpp for the environment it reads.

#include "../example_env.hpp"

#include <dgrid/dgrid.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

namespace asio = boost::asio;

asio::awaitable<void> ask(dgrid::client& client, std::string model, std::string question) {
    dgrid::chat_request request;
    request.model = std::move(model);
    request.messages.push_back(dgrid::message::system("You are a concise assistant."));
    request.messages.push_back(dgrid::message::user(std::move(question)));
    request.max_tokens = 200;

    // Throws dgrid::error_with_diagnostics on failure.
    dgrid::chat_completion completion = co_await client.async_chat(std::move(request));

    std::cout << completion.text() << '\n';
    if (completion.usage && completion.usage->total_tokens)
        std::cout << "[" << completion.model << ", " << *completion.usage->total_tokens << " tokens]\n";
}

int main(int argc, char** argv) {
    std::string model = argc > 1 ? argv[1] : "openai/gpt-4o-mini";
    std::string question = argc > 2 ? argv[2] : "What is the meaning of life?";
    try {
        asio::io_context io;
        dgrid::client client(io, options_from_environment());
        asio::co_spawn(io, ask(client, std::move(model), std::move(question)), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
}
