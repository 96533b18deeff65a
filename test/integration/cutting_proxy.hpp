#ifndef DGRID_TEST_INTEGRATION_CUTTING_PROXY_HPP
#define DGRID_TEST_INTEGRATION_CUTTING_PROXY_HPP

// A TCP proxy on 127.0.0.1 in front of a server, which resets a connection
// at the Nth step of its traffic: accepting it is step 1, and each piece of
// data it forwards, in either direction, one more. Walking N over a whole
// exchange makes the network fail at every point where it can, with the
// client's own transport untouched.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

namespace dgrid::test {

class cutting_proxy {
public:
    explicit cutting_proxy(std::uint16_t upstream_port)
        : upstream_(boost::asio::ip::make_address_v4("127.0.0.1"), upstream_port),
          acceptor_(io_, {boost::asio::ip::make_address_v4("127.0.0.1"), 0}) {
        boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }

    ~cutting_proxy() {
        io_.stop();
        thread_.join();
    }

    cutting_proxy(const cutting_proxy&) = delete;
    cutting_proxy& operator=(const cutting_proxy&) = delete;

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    // The connection under way at step `n` (1-based) is reset there; 0 disarms.
    void cut_at(long n) { steps_left_ = n; }

    // Steps left before the armed cut, and disarms: more than 0 when the
    // traffic ended before it.
    long disarm() { return steps_left_.exchange(0); }

private:
    using tcp = boost::asio::ip::tcp;

    struct connection {
        tcp::socket downstream;
        tcp::socket upstream;
    };

    // True when this step is the armed one (and disarms).
    bool cut_due() {
        long left = steps_left_.load();
        while (left > 0 && !steps_left_.compare_exchange_weak(left, left - 1)) {
        }
        return left == 1;
    }

    // Resets both sides: a close with a zero linger sends RST.
    static void reset(connection& c) {
        boost::system::error_code ignored;
        for (tcp::socket* s : {&c.downstream, &c.upstream}) {
            s->set_option(tcp::socket::linger(true, 0), ignored);
            s->close(ignored);
        }
    }

    boost::asio::awaitable<void> accept_loop() {
        constexpr auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(token);
            if (ec)
                co_return;
            auto c = std::make_shared<connection>(connection{std::move(socket), tcp::socket(io_)});
            if (cut_due()) {
                reset(*c);
                continue;
            }
            auto [connect_ec] = co_await c->upstream.async_connect(upstream_, token);
            if (connect_ec) {
                reset(*c);
                continue;
            }
            boost::asio::co_spawn(io_, pump(c, c->downstream, c->upstream), boost::asio::detached);
            boost::asio::co_spawn(io_, pump(c, c->upstream, c->downstream), boost::asio::detached);
        }
    }

    // Forwards `from` to `to` piece by piece; the end of one side ends both.
    boost::asio::awaitable<void> pump(std::shared_ptr<connection> c, tcp::socket& from, tcp::socket& to) {
        constexpr auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
        std::array<char, 16 * 1024> piece;
        for (;;) {
            auto [read_ec, n] = co_await from.async_read_some(boost::asio::buffer(piece), token);
            if (read_ec) {
                boost::system::error_code ignored;
                to.shutdown(tcp::socket::shutdown_send, ignored);
                co_return;
            }
            if (cut_due()) {
                reset(*c);
                co_return;
            }
            auto [write_ec, written] =
                co_await boost::asio::async_write(to, boost::asio::buffer(piece.data(), n), token);
            if (write_ec) {
                reset(*c);
                co_return;
            }
        }
    }

    boost::asio::io_context io_;
    tcp::endpoint upstream_;
    tcp::acceptor acceptor_;
    std::atomic<long> steps_left_{0};
    std::thread thread_;
};

} // namespace dgrid::test

#endif
