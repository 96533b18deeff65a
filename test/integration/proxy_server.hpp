#ifndef DGRID_TEST_INTEGRATION_PROXY_SERVER_HPP
#define DGRID_TEST_INTEGRATION_PROXY_SERVER_HPP

// A real HTTP proxy, tinyproxy (Debian's package), started on 127.0.0.1 on a
// free port for a test and stopped with it: CONNECT tunnels and absolute-form
// requests, Basic authentication when asked for.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace dgrid::test {

struct proxy_settings {
    std::string user; // with `password`: Basic authentication required
    std::string password;
    std::vector<unsigned short> connect_ports; // the ports CONNECT may reach; empty: any
};

class proxy_server {
public:
    explicit proxy_server(proxy_settings settings = {}) : port_(free_port()) {
        config_ = std::filesystem::temp_directory_path() /
                  ("dgrid-tinyproxy-" + std::to_string(::getpid()) + "-" + std::to_string(port_) + ".conf");
        std::ofstream conf(config_);
        conf << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 60\nMaxClients 200\nAllow 127.0.0.1\n"
             << "LogLevel Critical\nDisableViaHeader Yes\n";
        if (!settings.user.empty())
            conf << "BasicAuth " << settings.user << " " << settings.password << "\n";
        for (unsigned short p : settings.connect_ports)
            conf << "ConnectPort " << p << "\n";
        conf.close();
        start();
    }

    ~proxy_server() {
        stop(SIGTERM);
        std::error_code ignored;
        std::filesystem::remove(config_, ignored);
    }

    proxy_server(const proxy_server&) = delete;
    proxy_server& operator=(const proxy_server&) = delete;

    unsigned short port() const { return port_; }

    // `http://[user:password@]127.0.0.1:PORT`
    std::string url(const std::string& credentials = {}) const {
        return "http://" + (credentials.empty() ? "" : credentials + "@") + "127.0.0.1:" + std::to_string(port_);
    }

    // Ends the proxy at once (SIGKILL): every tunnel through it is cut.
    void kill() { stop(SIGKILL); }

private:
    static unsigned short free_port() {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        return probe.local_endpoint().port();
    }

    void start() {
        const std::string conf = config_.string();
        std::vector<char*> argv{const_cast<char*>("tinyproxy"), const_cast<char*>("-d"), const_cast<char*>("-c"),
                                const_cast<char*>(conf.c_str()), nullptr};
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0); // its log goes to stdout/stderr
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        const int failed = posix_spawnp(&pid_, "tinyproxy", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (failed)
            throw std::runtime_error("cannot start tinyproxy (apt-get install tinyproxy)");
        // Ready once it accepts connections.
        boost::asio::io_context io;
        for (int i = 0; i < 500; ++i) {
            boost::asio::ip::tcp::socket probe(io);
            boost::system::error_code ec;
            probe.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
            if (!ec)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        stop(SIGKILL);
        throw std::runtime_error("tinyproxy did not listen on port " + std::to_string(port_));
    }

    void stop(int signal) {
        if (pid_ <= 0)
            return;
        ::kill(pid_, signal);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    unsigned short port_;
    std::filesystem::path config_;
    pid_t pid_ = -1;
};

} // namespace dgrid::test

#endif
