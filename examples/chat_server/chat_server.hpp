#ifndef DGRID_EXAMPLES_CHAT_SERVER_CHAT_SERVER_HPP
#define DGRID_EXAMPLES_CHAT_SERVER_CHAT_SERVER_HPP

// An HTTP/1.1 server (Beast) that embeds one dgrid::client and serves a chat
// page:
//   GET  /         the page (index.html)
//   POST /chat     {"model", "messages"}: the answer as server-sent events,
//                  relayed chunk by chunk, the next one pulled from the
//                  gateway only once the browser took the last
//   GET  /models   the gateway's models, kept for a while
//   GET  /metrics  what the client saw, in the Prometheus text format
// The API key stays here: no response carries it.

#include "metrics.hpp"

#include <dgrid/client.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace chat_server {

struct server_options {
    std::string host = "127.0.0.1";
    unsigned short port = 8080; // 0: any free port
    std::filesystem::path page; // the chat page to serve at /
    // Each browser request's upstream call, retries included.
    std::chrono::milliseconds request_timeout = std::chrono::minutes(2);
    // How long GET /models answers from its last answer.
    std::chrono::milliseconds models_cache = std::chrono::seconds(30);
    // The largest request body taken (a conversation).
    std::size_t max_body = 1024 * 1024;
};

class server : public std::enable_shared_from_this<server> {
public:
    server(boost::asio::any_io_executor ex, dgrid::client& client, std::shared_ptr<chat_server::metrics> metrics,
           server_options options);

    // Reads the page, binds and listens; the address taken. Throws on failure.
    boost::asio::ip::tcp::endpoint listen();

    // Accepts connections until stop(), each served on a strand of its own.
    void start();

    // Stops accepting; connections already accepted go on.
    void stop();

    // Answers being relayed to browsers now.
    std::size_t streams() const noexcept { return streams_.load(); }

private:
    boost::asio::awaitable<void> accept_connections();
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
    // The models as JSON (kept for `models_cache`); `ok` false: the error's JSON.
    boost::asio::awaitable<std::string> models_json(bool& ok);

    // POST /chat on `browser`, a beast::tcp_stream (in the .cpp, which
    // alone sees Beast).
    template <class Stream, class Request>
    boost::asio::awaitable<void> relay_chat(Stream& browser, const Request& req);

    boost::asio::any_io_executor executor_;
    dgrid::client& client_;
    std::shared_ptr<chat_server::metrics> metrics_;
    server_options options_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::string page_;
    std::atomic<std::size_t> streams_{0};

    std::mutex models_mutex_; // the threads of the server share the cache
    std::string models_;
    std::chrono::steady_clock::time_point models_until_{};
};

} // namespace chat_server

#endif
