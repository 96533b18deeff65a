#ifndef DGRID_TEST_INTEGRATION_CANNED_SERVER_HPP
#define DGRID_TEST_INTEGRATION_CANNED_SERVER_HPP

// A plain-HTTP server on 127.0.0.1 that answers every request with the bytes
// of `response`, whatever they say, and then closes the connection: for
// answers the emulator does not give. Given several responses, the Nth
// request gets the Nth (the last one, once they run out).

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace dgrid::test {

class canned_server {
public:
    canned_server(boost::asio::io_context& io, std::string response)
        : canned_server(io, std::vector<std::string>{std::move(response)}) {}

    canned_server(boost::asio::io_context& io, std::vector<std::string> responses)
        : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}), responses_(std::move(responses)) {
        boost::asio::co_spawn(io, serve(), boost::asio::detached);
    }

    // Requests read so far.
    std::size_t requests() const { return requests_; }

    // The requests read so far, in order.
    const std::vector<boost::beast::http::request<boost::beast::http::string_body>>& received() const {
        return received_;
    }

    std::string base_url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1";
    }

    void close() { acceptor_.close(); }

private:
    boost::asio::awaitable<void> serve() {
        namespace asio = boost::asio;
        namespace http = boost::beast::http;
        constexpr auto token = asio::as_tuple(asio::use_awaitable);
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(token);
            if (ec)
                co_return;
            boost::beast::flat_buffer buffer;
            http::request<http::string_body> request;
            auto [read_ec, read] = co_await http::async_read(socket, buffer, request, token);
            if (!read_ec) {
                received_.push_back(request);
                const std::string& response = responses_[std::min(requests_++, responses_.size() - 1)];
                co_await asio::async_write(socket, asio::buffer(response), token);
            }
            socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        }
    }

    boost::asio::ip::tcp::acceptor acceptor_;
    std::vector<std::string> responses_;
    std::size_t requests_ = 0;
    std::vector<boost::beast::http::request<boost::beast::http::string_body>> received_;
};

} // namespace dgrid::test

#endif
