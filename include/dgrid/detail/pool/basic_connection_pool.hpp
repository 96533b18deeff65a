#ifndef DGRID_DETAIL_POOL_BASIC_CONNECTION_POOL_HPP
#define DGRID_DETAIL_POOL_BASIC_CONNECTION_POOL_HPP

// Internal: the pool's logic, apart from the sockets it holds, so that tests
// drive it with fake connections and a fake clock (connection_pool.hpp names
// the real one).

#include <dgrid/detail/base_url.hpp>
#include <dgrid/detail/op_cancellation.hpp>
#include <dgrid/detail/transport/tls_session_cache.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/pool_params.hpp>
#include <dgrid/pool_stats.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace dgrid::detail {

// The keep-alive connections of one origin. `open_` counts every connection
// that exists or is being opened, so it never exceeds `max_size`; a request
// that finds none idle and no room waits in FIFO order for a connection, or
// for room to open one, handed over by `release`.
//
// Thread safety: a mutex guards the lists; a connection itself is only ever
// touched by the request that holds it.
//
// `Clock` stamps idle connections (`now()`, a `time_point` that subtracts
// to a duration comparable with milliseconds): std::chrono::steady_clock, or
// a clock that a test moves by hand.
//
// What the pool asks of a `Connection`, no more (the real one is
// detail::connection; a test's fake implements the same names):
// - `Connection(asio::any_io_executor, asio::ssl::context*, bool verify_tls,
//   std::shared_ptr<tls_session_cache>)`: not yet open; a null context means
//   plain HTTP. The pool constructs it directly, rather than through a
//   factory object, so that the hot path stays one allocation and no
//   indirect call, and the real connection needs no adapter.
// - `get_executor()`: where the connection's I/O runs; `async_open` runs there.
// - `route_type`, what the pool is given and passes on to every
//   `async_open(const route_type&, diagnostics&) -> asio::awaitable<error_code>`,
//   which connects (and handshakes) within the time the route allows.
// - `requests_sent`: read against `max_requests_per_connection` on release.
// - `idle_since`, a `Clock::time_point`: set when it goes back to the pool.
// - `dropped_while_idle()`: true when the peer closed it while it sat idle;
//   it must not block.
// - `close_gracefully()`: ends a connection that sits between requests as
//   its protocol asks (TLS close_notify), without waiting; a connection
//   closed in the middle of an exchange is only dropped.
template <class Connection, class Clock>
class basic_connection_pool {
public:
    // `route`: where every connection goes (the Connection's route_type).
    // `verify_tls`: check certificates and host names (always, but for an
    // explicit insecure option).
    basic_connection_pool(asio::any_io_executor ex, typename Connection::route_type route,
                          std::shared_ptr<asio::ssl::context> tls_context, pool_params params, bool verify_tls,
                          bool thread_safe)
        : ex_(std::move(ex)), route_(std::move(route)), tls_context_(std::move(tls_context)), params_(params),
          verify_tls_(verify_tls), thread_safe_(thread_safe) {
        if (params_.max_size == 0)
            params_.max_size = 1;
    }

    // Gets a connection ready for a request. `fresh`: a newly opened one, never
    // a reused one (to resend a request that a stale connection lost).
    asio::awaitable<error_code> async_acquire(std::unique_ptr<Connection>& out, bool fresh, diagnostics& diag) {
        grant g = try_acquire();
        if (g.kind == grant_kind::wait) {
            auto token = asio::as_tuple(asio::use_awaitable);
            auto [ec, handed] =
                co_await asio::async_initiate<decltype(token), void(error_code, std::unique_ptr<Connection>)>(
                    [this](auto handler) { wait(std::move(handler)); }, token);
            if (ec) {
                diag.message =
                    ec == error::pool_closed ? "the client was shut down" : "cancelled while waiting for a connection";
                co_return ec;
            }
            g.conn = std::move(handed);
            g.kind = g.conn ? grant_kind::connection : grant_kind::room;
        }
        if (g.kind == grant_kind::connection && !fresh) {
            out = std::move(g.conn);
            co_return error_code();
        }
        // Room to open one (a connection that must not be reused gives its room).
        if (g.conn) {
            g.conn->close_gracefully();
            g.conn.reset();
        }
        auto conn = std::make_unique<Connection>(executor_for_one(ex_, thread_safe_), tls_context_.get(), verify_tls_,
                                                 sessions_);
        auto opening = conn->async_open(route_, diag);
        error_code ec = co_await asio::co_spawn(conn->get_executor(), std::move(opening), asio::use_awaitable);
        if (ec) {
            give_back_room();
            co_return ec;
        }
        out = std::move(conn);
        co_return error_code();
    }

    // An idle connection ready for a request, or null when none is (opening
    // one, or waiting for one, is async_acquire's).
    std::unique_ptr<Connection> take_idle() {
        std::vector<stale_connection> stale; // closed after the lock is released
        std::lock_guard lock(mutex_);
        return closed_ ? nullptr : take_idle_locked(stale);
    }

    // Takes a connection back: kept for the next request when `reusable`
    // (response read to the end, keep-alive holds), closed otherwise, and
    // closed gracefully when it was reusable but is retired or the pool closed.
    void release(std::unique_ptr<Connection> conn, bool reusable) {
        const bool retired =
            params_.max_requests_per_connection != 0 && conn->requests_sent >= params_.max_requests_per_connection;
        std::unique_lock lock(mutex_);
        if (!reusable || retired || closed_) {
            lock.unlock();
            if (reusable)
                conn->close_gracefully();
            conn.reset();
            give_back_room();
            return;
        }
        if (!waiters_.empty()) {
            auto handler = pop_waiter();
            lock.unlock();
            complete(std::move(handler), error_code(), std::move(conn));
            return;
        }
        conn->idle_since = Clock::now();
        idle_.push_back(std::move(conn));
        notify_if_unused(lock);
    }

    // Calls `watch` once every open connection is idle and no request waits:
    // now, or when the last connection in use comes back (on that thread).
    void on_unused(std::function<void()> watch) {
        std::unique_lock lock(mutex_);
        on_unused_ = std::move(watch);
        notify_if_unused(lock);
    }

    // Closes idle connections and fails waiting requests; connections in use
    // are closed when they come back.
    void close() {
        std::unique_lock lock(mutex_);
        closed_ = true;
        auto idle = std::move(idle_);
        open_ -= idle.size();
        auto waiters = std::move(waiters_);
        lock.unlock();
        for (auto& conn : idle)
            conn->close_gracefully();
        idle.clear();
        for (auto& w : waiters)
            complete(std::move(w->handler), error::pool_closed, nullptr);
    }

    pool_stats stats() const {
        std::lock_guard lock(mutex_);
        return {open_, idle_.size(), waiters_.size(), sessions_->handshakes(), sessions_->resumed()};
    }

private:
    // An idle connection found unfit, closed once the pool's lock is let go:
    // gracefully when it only expired.
    struct stale_connection {
        std::unique_ptr<Connection> conn;
        bool graceful = false;

        stale_connection(std::unique_ptr<Connection> c, bool g) : conn(std::move(c)), graceful(g) {}
        stale_connection(stale_connection&&) noexcept = default;
        stale_connection& operator=(stale_connection&&) noexcept = default;
        ~stale_connection() {
            if (conn && graceful)
                conn->close_gracefully();
        }
    };

    using waiter_handler = asio::any_completion_handler<void(error_code, std::unique_ptr<Connection>)>;

    // A request waiting for a connection. Shared with its cancellation
    // handler, which finds it gone once it was served.
    struct waiter {
        waiter_handler handler;
    };
    using waiter_ptr = std::shared_ptr<waiter>;

    template <class Handler>
    void wait(Handler handler) {
        auto slot = asio::get_associated_cancellation_slot(handler);
        auto w = std::make_shared<waiter>(waiter{waiter_handler(std::move(handler))});
        if (slot.is_connected())
            slot.assign([this, weak = std::weak_ptr<waiter>(w)](asio::cancellation_type) {
                if (auto cancelled = weak.lock())
                    cancel_wait(cancelled);
            });
        wait_or_grant(std::move(w));
    }

    void cancel_wait(const waiter_ptr& w) {
        std::unique_lock lock(mutex_);
        auto it = std::find(waiters_.begin(), waiters_.end(), w);
        if (it == waiters_.end())
            return; // already served
        waiters_.erase(it);
        lock.unlock();
        complete(std::move(w->handler), asio::error::operation_aborted, nullptr);
    }

    enum class grant_kind { connection, room, wait };
    struct grant {
        grant_kind kind;
        std::unique_ptr<Connection> conn;
    };

    grant try_acquire() {
        std::vector<stale_connection> stale;
        grant g{grant_kind::wait, nullptr};
        {
            std::lock_guard lock(mutex_);
            g = take_locked(stale);
        }
        return g; // `stale` closes outside the lock
    }

    // Caller holds the lock; dropped and expired idle connections go to
    // `stale`, to be closed after it is released. Newest idle first: it is the least likely to
    // have been dropped by the server.
    grant take_locked(std::vector<stale_connection>& stale) {
        if (closed_)
            return {grant_kind::wait, nullptr}; // wait_or_grant fails it
        if (auto conn = take_idle_locked(stale))
            return {grant_kind::connection, std::move(conn)};
        if (open_ < params_.max_size) {
            ++open_;
            return {grant_kind::room, nullptr};
        }
        return {grant_kind::wait, nullptr};
    }

    std::unique_ptr<Connection> take_idle_locked(std::vector<stale_connection>& stale) {
        auto now = Clock::now();
        while (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            const bool expired = now - conn->idle_since > params_.idle_timeout;
            if (!expired && !conn->dropped_while_idle())
                return conn;
            // Unless the peer closed it or spoke out of turn, it ends properly.
            stale.push_back({std::move(conn), expired});
            --open_;
        }
        return nullptr;
    }

    void wait_or_grant(waiter_ptr w) {
        std::vector<stale_connection> stale;
        std::unique_lock lock(mutex_);
        if (closed_) {
            lock.unlock();
            complete(std::move(w->handler), error::pool_closed, nullptr);
            return;
        }
        grant g = take_locked(stale);
        if (g.kind == grant_kind::wait) {
            waiters_.push_back(std::move(w));
            return;
        }
        lock.unlock();
        complete(std::move(w->handler), error_code(), std::move(g.conn));
    }

    // A connection was closed or never opened: its room goes to the first
    // waiter, if any.
    void give_back_room() {
        std::unique_lock lock(mutex_);
        if (waiters_.empty() || closed_) {
            --open_;
            notify_if_unused(lock);
            return;
        }
        auto handler = pop_waiter();
        lock.unlock();
        complete(std::move(handler), error_code(), nullptr);
    }

    // The watch of on_unused, called once the pool is unused; `lock` holds
    // the mutex, and is let go before the call.
    void notify_if_unused(std::unique_lock<std::mutex>& lock) {
        if (!on_unused_ || open_ != idle_.size() || !waiters_.empty())
            return;
        auto watch = std::move(on_unused_);
        on_unused_ = nullptr;
        lock.unlock();
        watch();
    }

    waiter_handler pop_waiter() {
        auto w = std::move(waiters_.front());
        waiters_.pop_front();
        return std::move(w->handler);
    }

    // Always posted: a waiter is never resumed inside another request's
    // call. It then runs on its own associated executor.
    void complete(waiter_handler handler, error_code ec, std::unique_ptr<Connection> conn) {
        asio::post(ex_, asio::append(std::move(handler), ec, std::move(conn)));
    }

    asio::any_io_executor ex_;
    typename Connection::route_type route_;
    std::shared_ptr<asio::ssl::context> tls_context_;
    pool_params params_;
    bool verify_tls_;
    bool thread_safe_; // each connection on a strand of its own
    std::shared_ptr<tls_session_cache> sessions_ = std::make_shared<tls_session_cache>();

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::deque<waiter_ptr> waiters_;
    std::size_t open_ = 0;
    bool closed_ = false;
    std::function<void()> on_unused_; // a client's shutdown waiting
};

} // namespace dgrid::detail

#endif
