// A chat web page served by an asynchronous server that embeds one
// dgrid::client: answers stream to the browser as the gateway sends them.
//
//   example_chat_server [--host H] [--port N] [--threads N] [--page FILE]
//                       [--request-timeout S] [--shutdown-deadline S]
//
// Then open http://H:N/. It prints "listening http://H:N" once it accepts.
// SIGINT or SIGTERM: no new connections; the answers under way finish (or are
// cancelled after the shutdown deadline) and the client closes its
// connections, then the process ends. See ../example_env.hpp for the
// environment it reads (the API key stays in the server).

#include "../example_env.hpp"
#include "chat_server.hpp"

#include <dgrid/client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;

namespace {

struct command_line {
    chat_server::server_options server;
    unsigned threads = 1;
    std::chrono::milliseconds shutdown_deadline = std::chrono::seconds(10);
};

command_line parse(int argc, char** argv) {
    command_line c;
    c.server.page = CHAT_SERVER_PAGE;
    const auto seconds = [](const char* text) {
        return std::chrono::milliseconds(static_cast<long long>(std::stod(text) * 1000));
    };
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc)
            throw std::invalid_argument(flag + " wants a value");
        const char* value = argv[++i];
        if (flag == "--host")
            c.server.host = value;
        else if (flag == "--port")
            c.server.port = static_cast<unsigned short>(std::stoul(value));
        else if (flag == "--threads")
            c.threads = std::max(1u, static_cast<unsigned>(std::stoul(value)));
        else if (flag == "--page")
            c.server.page = value;
        else if (flag == "--request-timeout")
            c.server.request_timeout = seconds(value);
        else if (flag == "--shutdown-deadline")
            c.shutdown_deadline = seconds(value);
        else
            throw std::invalid_argument("unknown option " + flag);
    }
    return c;
}

// Once the client is shut down, waits for the relays to write their last
// events, then stops the context (idle browser connections end with it).
void stop_when_relayed(std::shared_ptr<chat_server::server> server, asio::io_context& io,
                       std::shared_ptr<asio::steady_timer> timer, int tries_left) {
    if (server->streams() == 0 || tries_left == 0) {
        io.stop();
        return;
    }
    timer->expires_after(std::chrono::milliseconds(10));
    timer->async_wait(
        [server, &io, timer, tries_left](dgrid::error_code) { stop_when_relayed(server, io, timer, tries_left - 1); });
}

} // namespace

int main(int argc, char** argv) {
    try {
        const command_line c = parse(argc, argv);
        asio::io_context io(static_cast<int>(c.threads));
        auto metrics = std::make_shared<chat_server::metrics>();
        dgrid::client_options options = options_from_environment();
        options.observer = metrics;
        options.thread_safe = c.threads > 1;
        dgrid::client client(io.get_executor(), std::move(options));
        auto server = std::make_shared<chat_server::server>(io.get_executor(), client, metrics, c.server);
        const asio::ip::tcp::endpoint at = server->listen();
        server->start();
        std::cout << "listening http://" << at.address().to_string() << ':' << at.port() << std::endl;

        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](dgrid::error_code ec, int) {
            if (ec)
                return;
            std::cout << "shutting down" << std::endl;
            server->stop();
            client.async_shutdown(c.shutdown_deadline, [&](dgrid::error_code) {
                stop_when_relayed(server, io, std::make_shared<asio::steady_timer>(io), 200);
            });
        });

        std::vector<std::thread> more;
        for (unsigned i = 1; i < c.threads; ++i)
            more.emplace_back([&io] { io.run(); });
        io.run();
        for (std::thread& t : more)
            t.join();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "example_chat_server: " << e.what() << '\n';
        return 1;
    }
}
