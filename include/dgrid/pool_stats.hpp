#ifndef DGRID_POOL_STATS_HPP
#define DGRID_POOL_STATS_HPP

#include <cstddef>

namespace dgrid {

/// Counters of a client's connection pool, for monitoring and tests.
struct pool_stats {
    std::size_t open = 0;    ///< Connections open or being opened, busy and idle.
    std::size_t idle = 0;    ///< Connections waiting in the pool for a request.
    std::size_t waiting = 0; ///< Requests waiting for a connection.
};

} // namespace dgrid

#endif
