#ifndef DGRID_POOL_PARAMS_HPP
#define DGRID_POOL_PARAMS_HPP

#include <chrono>
#include <cstddef>

namespace dgrid {

/// How a client keeps connections to its gateway.
struct pool_params {
    /// Connections open at once, busy and idle together; callers beyond it wait
    /// in FIFO order for one to come back.
    std::size_t max_size = 64;

    /// Budget for opening one connection: resolving the host, connecting and
    /// the TLS handshake (`connect_timeout` when it runs out).
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);

    /// A connection idle for longer is closed instead of reused (gateways drop
    /// idle keep-alive connections after a minute or so).
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(50);

    /// Requests sent over one connection before it is retired; 0 means no limit.
    std::size_t max_requests_per_connection = 0;
};

} // namespace dgrid

#endif
