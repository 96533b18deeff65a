#ifndef DGRID_POOL_STATS_HPP
#define DGRID_POOL_STATS_HPP

#include <cstddef>

namespace dgrid {

/// Counters of a client's connection pool, for monitoring and tests.
struct pool_stats {
    /// Equal when every member is.
    bool operator==(const pool_stats&) const = default;

    std::size_t open = 0;           ///< Connections open or being opened, busy and idle.
    std::size_t idle = 0;           ///< Connections waiting in the pool for a request.
    std::size_t waiting = 0;        ///< Requests waiting for a connection.
    std::size_t tls_handshakes = 0; ///< TLS handshakes completed so far.
    std::size_t tls_resumed = 0;    ///< Of those, the ones that resumed a session.
};

} // namespace dgrid

#endif
