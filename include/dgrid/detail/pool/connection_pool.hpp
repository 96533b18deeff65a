#ifndef DGRID_DETAIL_POOL_CONNECTION_POOL_HPP
#define DGRID_DETAIL_POOL_CONNECTION_POOL_HPP

// Internal, compiled into the library only.

#include <dgrid/detail/pool/basic_connection_pool.hpp>
#include <dgrid/detail/transport/connection.hpp>

#include <chrono>
#include <memory>

namespace dgrid::detail {

// The client's pool: real connections, real time.
using connection_pool = basic_connection_pool<connection, std::chrono::steady_clock>;

// A connection taken from the pool for a request that has not started:
// given back (closed, its room freed) if the request ends without using it.
// It keeps the pool alive: a coroutine that never ran may drop it after the
// client went away.
class held_connection {
public:
    held_connection(std::shared_ptr<connection_pool> pool, std::unique_ptr<connection> conn)
        : pool_(std::move(pool)), conn_(std::move(conn)) {}
    held_connection(held_connection&&) noexcept = default;
    held_connection& operator=(held_connection&&) = delete;
    ~held_connection() {
        if (conn_)
            pool_->release(std::move(conn_), false);
    }

    const connection* get() const { return conn_.get(); }
    std::unique_ptr<connection> take() { return std::move(conn_); }

private:
    std::shared_ptr<connection_pool> pool_;
    std::unique_ptr<connection> conn_;
};

} // namespace dgrid::detail

#endif
