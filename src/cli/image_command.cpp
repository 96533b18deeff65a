// dgrid image --model M --out DIR PROMPT
#include "commands.hpp"

#include <dgrid/client.hpp>
#include <dgrid/image.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace dgrid_cli {
namespace {

namespace asio = boost::asio;

struct image_flags {
    std::string model = "gemini-2.5-flash-image-preview";
    std::filesystem::path out = ".";
    std::string prompt;
};

// "image/png" -> ".png"
std::string extension_of(std::string_view mime_type) {
    const auto slash = mime_type.find('/');
    std::string ext = slash == std::string_view::npos ? "bin" : std::string(mime_type.substr(slash + 1));
    if (ext == "jpeg")
        ext = "jpg";
    return "." + ext;
}

// A file name from the completion's id, which the server chose: letters,
// digits, '-' and '_' kept, the rest '_'.
std::string file_stem(std::string_view id) {
    std::string stem = id.empty() ? "image" : std::string(id.substr(0, 64));
    for (char& c : stem)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
            c = '_';
    return stem;
}

asio::awaitable<int> generate(dgrid::client& client, const image_flags& flags) {
    dgrid::chat_request request;
    request.model = flags.model;
    request.messages.push_back(dgrid::message::user(flags.prompt));
    dgrid::diagnostics diag;
    constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
    auto [ec, completion] = co_await client.async_chat(request, diag, tuple_awaitable);
    if (ec) {
        report_error("image", ec, diag);
        co_return exit_failed;
    }
    dgrid::error_code image_ec;
    const std::vector<dgrid::image> images = dgrid::extract_images(completion, image_ec);
    if (image_ec || images.empty()) {
        std::cerr << "dgrid: image: " << (image_ec ? image_ec.message() : "the answer holds no image")
                  << " (request id " << completion.response.request_id << ")\n";
        co_return exit_failed;
    }
    std::filesystem::create_directories(flags.out);
    for (std::size_t i = 0; i < images.size(); ++i) {
        const std::filesystem::path path =
            flags.out / (file_stem(completion.id) + "-" + std::to_string(i + 1) + extension_of(images[i].mime_type));
        std::ofstream file(path, std::ios::binary);
        file.write(images[i].bytes.data(), static_cast<std::streamsize>(images[i].bytes.size()));
        if (!file) {
            std::cerr << "dgrid: image: cannot write " << path.string() << '\n';
            co_return exit_failed;
        }
        std::cout << path.string() << '\n';
    }
    co_return exit_ok;
}

} // namespace

void add_image_command(CLI::App& app, const connection_flags& connection, int& exit_code) {
    auto flags = std::make_shared<image_flags>();
    CLI::App* cmd = app.add_subcommand("image", "Ask an image model for pictures; prints the files written");
    cmd->add_option("--model,-m", flags->model, "The image model")->capture_default_str();
    cmd->add_option("--out,-o", flags->out, "The directory to write the images to")->capture_default_str();
    cmd->add_option("prompt", flags->prompt, "What to draw")->required();
    cmd->callback([&connection, &exit_code, flags] {
        exit_code = run_with_client(connection, [&](dgrid::client& client) { return generate(client, *flags); });
    });
}

} // namespace dgrid_cli
