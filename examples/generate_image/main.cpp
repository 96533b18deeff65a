// Asks an image model for a picture and writes the PNG it returns (as a
// markdown data URI in the message content) to a file.
//
//   example_generate_image [model] [prompt] [output.png]
//
// See ../example_env.hpp for the environment it reads.

#include "../example_env.hpp"

#include <dgrid/dgrid.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <fstream>
#include <iostream>

namespace asio = boost::asio;

asio::awaitable<void> generate(dgrid::client& client, std::string model, std::string prompt, std::string path) {
    dgrid::chat_request request;
    request.model = std::move(model);
    request.messages.push_back(dgrid::message::user(std::move(prompt)));

    dgrid::chat_completion completion = co_await client.async_chat(std::move(request));

    dgrid::error_code ec;
    std::vector<dgrid::image> images = dgrid::extract_images(completion, ec);
    if (ec)
        throw dgrid::error_with_diagnostics(ec, {});
    if (images.empty())
        throw std::runtime_error("the answer holds no image: " + completion.text());
    std::ofstream(path, std::ios::binary).write(images[0].bytes.data(), std::streamsize(images[0].bytes.size()));
    std::cout << "wrote " << path << " (" << images[0].mime_type << ", " << images[0].bytes.size() << " bytes)\n";
}

int main(int argc, char** argv) {
    std::string model = argc > 1 ? argv[1] : "gemini-2.0-flash-preview-image-generation";
    std::string prompt = argc > 2 ? argv[2] : "A futuristic city skyline at sunset.";
    std::string path = argc > 3 ? argv[3] : "generated.png";
    try {
        asio::io_context io;
        dgrid::client client(io, options_from_environment());
        asio::co_spawn(io, generate(client, std::move(model), std::move(prompt), std::move(path)),
                       [](std::exception_ptr e) {
                           if (e)
                               std::rethrow_exception(e);
                       });
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
}
