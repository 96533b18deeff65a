#ifndef DGRID_DETAIL_FAULT_POINT_STREAM_HPP
#define DGRID_DETAIL_FAULT_POINT_STREAM_HPP

// Internal: the transport layer under TLS and HTTP, with a fault point in
// every read and write, in the manner of Beast's test stream with its fail
// count. Tests arm it to fail the Nth operation of the process and so walk
// an exchange through every point where the network can fail; unarmed it
// costs one relaxed atomic load per socket operation.

#include <dgrid/error.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <cstddef>
#include <utility>

namespace dgrid::detail {

// Operations left before the failing one: 0 = unarmed.
inline std::atomic<long> io_fault_countdown{0};

// True when this operation is the one to fail (and disarms).
inline bool io_fault_due() {
    if (io_fault_countdown.load(std::memory_order_relaxed) == 0)
        return false;
    return io_fault_countdown.fetch_sub(1) == 1;
}

template <class NextLayer>
class fault_point_stream {
public:
    using executor_type = typename NextLayer::executor_type;
    using next_layer_type = NextLayer;
    using lowest_layer_type = typename NextLayer::socket_type::lowest_layer_type;

    template <class... Args>
    explicit fault_point_stream(Args&&... args) : next_(std::forward<Args>(args)...) {}

    executor_type get_executor() noexcept { return next_.get_executor(); }
    NextLayer& next_layer() noexcept { return next_; }
    lowest_layer_type& lowest_layer() noexcept { return next_.socket().lowest_layer(); }
    const lowest_layer_type& lowest_layer() const noexcept { return next_.socket().lowest_layer(); }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        if (io_fault_due())
            return fail<Token>(std::forward<Token>(token));
        return next_.async_read_some(buffers, std::forward<Token>(token));
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        if (io_fault_due())
            return fail<Token>(std::forward<Token>(token));
        return next_.async_write_some(buffers, std::forward<Token>(token));
    }

    // A synchronous write (a closing alert), which no test walks.
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, error_code& ec) {
        return next_.write_some(buffers, ec);
    }

private:
    // The injected failure: the peer reset the connection.
    template <class Token>
    auto fail(Token&& token) {
        return boost::asio::async_initiate<Token, void(error_code, std::size_t)>(
            [ex = next_.get_executor()](auto handler) {
                error_code ec = boost::asio::error::connection_reset;
                boost::asio::post(ex, boost::asio::append(std::move(handler), ec, std::size_t(0)));
            },
            token);
    }

    NextLayer next_;
};

} // namespace dgrid::detail

#endif
