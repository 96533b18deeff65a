// Streams an answer and prints it token by token as it arrives, then the
// token usage of the whole answer.
//
//   example_stream_chat [model] [question]
//
// See ../example_env.hpp for the environment it reads.

#include "../example_env.hpp"

#include <dgrid/dgrid.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

namespace asio = boost::asio;

asio::awaitable<void> stream_answer(dgrid::client& client, std::string model, std::string question) {
    dgrid::chat_request request;
    request.model = std::move(model);
    request.messages.push_back(dgrid::message::user(std::move(question)));
    request.max_tokens = 300;

    dgrid::chat_stream stream = co_await client.async_chat_stream(std::move(request));
    while (co_await stream.async_next())
        std::cout << stream.chunk().text() << std::flush;

    const dgrid::chat_completion& answer = stream.completion();
    std::cout << '\n';
    if (answer.usage && answer.usage->total_tokens)
        std::cout << "[" << answer.model << ", " << *answer.usage->total_tokens << " tokens, finish reason "
                  << answer.choices.at(0).finish_reason.value_or("none") << "]\n";
}

int main(int argc, char** argv) {
    std::string model = argc > 1 ? argv[1] : "openai/gpt-4o-mini";
    std::string question = argc > 2 ? argv[2] : "Write a haiku about asynchronous I/O.";
    try {
        asio::io_context io;
        dgrid::client client(io, options_from_environment());
        asio::co_spawn(io, stream_answer(client, std::move(model), std::move(question)), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "\nerror: " << e.what() << '\n';
        return 1;
    }
}
