// The connection pool's rules, driven with fake connections and a fake clock:
// no sockets, and time moves only when a test moves it.

#include <dgrid/detail/pool/basic_connection_pool.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

using namespace dgrid;
using namespace dgrid::detail;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// Moved by hand (`current +=`), so that an idle timeout is crossed exactly.
struct fake_clock {
    using duration = milliseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<fake_clock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept { return current; }

    static inline time_point current;
};

// Numbered in the order they are made; counted when destroyed, which for the
// pool is closing them. The pool constructs them itself, so what a test sets
// or reads about them all is static.
struct fake_connection {
    static inline int constructed = 0;
    static inline int destroyed = 0;
    static inline int closed_gracefully = 0; // of those destroyed
    // What the next opens complete with, in order; success once empty.
    static inline std::deque<error_code> open_results;

    fake_connection(asio::any_io_executor ex, asio::ssl::context*, bool, std::shared_ptr<tls_session_cache>)
        : id(++constructed), executor(std::move(ex)) {}
    fake_connection(const fake_connection&) = delete;
    fake_connection& operator=(const fake_connection&) = delete;
    ~fake_connection() { ++destroyed; }

    asio::any_io_executor get_executor() const { return executor; }

    // When set, opens wait until it is cancelled: a test looks at the pool
    // while they are under way.
    static inline asio::steady_timer* open_gate = nullptr;

    using route_type = base_url;

    asio::awaitable<error_code> async_open(const base_url&, diagnostics&) {
        if (open_gate)
            co_await open_gate->async_wait(asio::as_tuple(asio::use_awaitable));
        error_code ec;
        if (!open_results.empty()) {
            ec = open_results.front();
            open_results.pop_front();
        }
        co_return ec;
    }

    bool dropped_while_idle() const { return dropped; }
    void close_gracefully() { ++closed_gracefully; }

    const int id;
    asio::any_io_executor executor;
    std::size_t requests_sent = 0;
    fake_clock::time_point idle_since;
    bool dropped = false; // the peer closed it
};

using test_pool = basic_connection_pool<fake_connection, fake_clock>;

// The outcome of one async_acquire, filled in as the context runs.
struct acquired {
    bool done = false;
    error_code ec;
    std::unique_ptr<fake_connection> conn;

    int id() const { return conn ? conn->id : 0; }
};

asio::awaitable<void> acquire_into(test_pool& pool, bool fresh, acquired& out) {
    diagnostics diag;
    out.ec = co_await pool.async_acquire(out.conn, fresh, diag);
    out.done = true;
}

pool_params with_max_size(std::size_t max_size) {
    pool_params params;
    params.max_size = max_size;
    return params;
}

struct pool_fixture {
    pool_fixture() {
        fake_clock::current = {};
        fake_connection::constructed = 0;
        fake_connection::destroyed = 0;
        fake_connection::closed_gracefully = 0;
        fake_connection::open_results.clear();
        fake_connection::open_gate = nullptr;
    }

    // Fails the requests still waiting, so that no coroutine outlives the
    // results it writes to.
    ~pool_fixture() {
        if (pool) {
            pool->close();
            settle();
        }
    }

    test_pool& make_pool(pool_params params) {
        return pool.emplace(io.get_executor(), base_url{}, nullptr, params, true, false);
    }

    acquired& acquire(bool fresh = false, asio::cancellation_slot slot = {}) {
        acquired& out = results.emplace_back();
        asio::co_spawn(io, acquire_into(*pool, fresh, out), asio::bind_cancellation_slot(slot, asio::detached));
        return out;
    }

    acquired& acquire_now() {
        acquired& out = acquire();
        settle();
        return out;
    }

    // Runs what is ready, and what that makes ready, without blocking: a
    // request waiting in the pool keeps the context from running out of work.
    void settle() {
        io.restart();
        io.poll();
    }

    asio::io_context io;
    std::optional<test_pool> pool;
    std::deque<acquired> results; // stable addresses
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(pool, pool_fixture)

BOOST_AUTO_TEST_CASE(waiters_get_the_connection_in_the_order_they_asked) {
    auto& p = make_pool(with_max_size(1));
    auto& holder = acquire();
    settle();
    BOOST_TEST(holder.id() == 1);
    auto& first = acquire();
    auto& second = acquire();
    auto& third = acquire();
    settle();
    BOOST_TEST(p.stats().waiting == 3u);

    p.release(std::move(holder.conn), true);
    settle();
    BOOST_TEST(first.id() == 1);
    BOOST_TEST(!second.done);
    BOOST_TEST(!third.done);

    p.release(std::move(first.conn), true);
    settle();
    BOOST_TEST(second.id() == 1);
    BOOST_TEST(!third.done);

    p.release(std::move(second.conn), true);
    settle();
    BOOST_TEST(third.id() == 1);
    BOOST_TEST(fake_connection::constructed == 1);
    BOOST_TEST(p.stats().waiting == 0u);
    BOOST_TEST(p.stats().open == 1u);
}

// What a shutdown waits for: every connection back (kept or closed) and no
// request waiting; at once when the pool is unused already.
BOOST_AUTO_TEST_CASE(on_unused_fires_once_every_connection_is_back) {
    auto& p = make_pool(with_max_size(2));
    int fired = 0;
    p.on_unused([&] { ++fired; });
    BOOST_TEST(fired == 1);

    auto& kept = acquire();
    auto& dropped = acquire();
    auto& waiting = acquire();
    settle();
    p.on_unused([&] { ++fired; });
    p.release(std::move(kept.conn), true); // to the waiter: still in use
    settle();
    BOOST_TEST(waiting.id() == 1);
    p.release(std::move(dropped.conn), false);
    BOOST_TEST(fired == 1);
    p.release(std::move(waiting.conn), true);
    BOOST_TEST(fired == 2);
    BOOST_TEST(p.stats().idle == 1u);
    p.release(std::move(acquire_now().conn), false); // once only
    BOOST_TEST(fired == 2);
}

BOOST_AUTO_TEST_CASE(a_connection_idle_past_idle_timeout_is_closed_not_reused) {
    auto params = with_max_size(1);
    params.idle_timeout = seconds(50);
    auto& p = make_pool(params);
    auto& first = acquire();
    settle();
    p.release(std::move(first.conn), true);

    fake_clock::current += seconds(50); // just within
    auto& second = acquire();
    settle();
    BOOST_TEST(second.id() == 1);
    p.release(std::move(second.conn), true);

    fake_clock::current += seconds(50) + milliseconds(1);
    auto& third = acquire();
    settle();
    BOOST_TEST(third.id() == 2);
    BOOST_TEST(fake_connection::destroyed == 1);
    BOOST_TEST(fake_connection::closed_gracefully == 1);
    BOOST_TEST(p.stats().open == 1u);
    BOOST_TEST(p.stats().idle == 0u);

    // take_idle, the path of a request that starts on an idle connection, too.
    p.release(std::move(third.conn), true);
    fake_clock::current += seconds(51);
    BOOST_TEST(!p.take_idle());
    BOOST_TEST(fake_connection::destroyed == 2);
    BOOST_TEST(fake_connection::closed_gracefully == 2);
    BOOST_TEST(p.stats().open == 0u);
}

BOOST_AUTO_TEST_CASE(a_connection_that_served_max_requests_per_connection_is_closed_on_release) {
    auto params = with_max_size(1);
    params.max_requests_per_connection = 2;
    auto& p = make_pool(params);
    auto& first = acquire();
    settle();
    first.conn->requests_sent = 1;
    p.release(std::move(first.conn), true);
    BOOST_TEST(p.stats().idle == 1u);

    auto& second = acquire();
    settle();
    BOOST_TEST(second.id() == 1);
    second.conn->requests_sent = 2;
    p.release(std::move(second.conn), true);
    BOOST_TEST(fake_connection::destroyed == 1);
    BOOST_TEST(fake_connection::closed_gracefully == 1);
    BOOST_TEST(p.stats().idle == 0u);
    BOOST_TEST(p.stats().open == 0u);

    auto& third = acquire();
    settle();
    BOOST_TEST(third.id() == 2);
}

// A request cancelled mid-exchange, or whose body was not read to the end,
// gives its connection back as not reusable.
BOOST_AUTO_TEST_CASE(a_connection_released_as_not_reusable_is_closed_and_its_room_goes_to_the_first_waiter) {
    auto& p = make_pool(with_max_size(1));
    auto& holder = acquire();
    settle();
    auto& first = acquire();
    auto& second = acquire();
    settle();

    p.release(std::move(holder.conn), false);
    BOOST_TEST(fake_connection::destroyed == 1);
    BOOST_TEST(fake_connection::closed_gracefully == 0); // cut in the middle: only dropped
    settle();
    BOOST_TEST(!first.ec);
    BOOST_TEST(first.id() == 2);
    BOOST_TEST(!second.done);
    BOOST_TEST(p.stats().open == 1u);
    BOOST_TEST(p.stats().waiting == 1u);
}

BOOST_AUTO_TEST_CASE(a_connection_dropped_while_idle_is_replaced_by_a_fresh_one) {
    auto& p = make_pool(with_max_size(1));
    auto& first = acquire();
    settle();
    first.conn->dropped = true; // as if the server closed it once it was idle
    p.release(std::move(first.conn), true);

    auto& second = acquire();
    settle();
    BOOST_TEST(second.id() == 2);
    BOOST_TEST(fake_connection::destroyed == 1);
    BOOST_TEST(fake_connection::closed_gracefully == 0);
    BOOST_TEST(p.stats().open == 1u);
}

BOOST_AUTO_TEST_CASE(a_fresh_request_never_gets_a_pooled_connection) {
    auto& p = make_pool(with_max_size(1));
    auto& first = acquire();
    settle();
    p.release(std::move(first.conn), true);

    auto& fresh = acquire(true);
    settle();
    BOOST_TEST(fresh.id() == 2);
    BOOST_TEST(fake_connection::destroyed == 1); // the idle one gave its room
    BOOST_TEST(fake_connection::closed_gracefully == 1);

    // Nor one handed over while it waited.
    auto& fresh_waiter = acquire(true);
    settle();
    BOOST_TEST(p.stats().waiting == 1u);
    p.release(std::move(fresh.conn), true);
    settle();
    BOOST_TEST(fresh_waiter.id() == 3);
    BOOST_TEST(fake_connection::destroyed == 2);
    BOOST_TEST(p.stats().open == 1u);
}

BOOST_AUTO_TEST_CASE(a_cancelled_waiter_completes_with_operation_aborted_and_leaves_the_queue) {
    auto& p = make_pool(with_max_size(1));
    auto& holder = acquire();
    settle();
    asio::cancellation_signal cancel;
    auto& cancelled = acquire(false, cancel.slot());
    auto& next = acquire();
    settle();
    BOOST_TEST(p.stats().waiting == 2u);

    cancel.emit(asio::cancellation_type::terminal);
    settle();
    BOOST_TEST(cancelled.done);
    BOOST_TEST(cancelled.ec == asio::error::operation_aborted);
    BOOST_TEST(!cancelled.conn);
    BOOST_TEST(p.stats().waiting == 1u);

    p.release(std::move(holder.conn), true);
    settle();
    BOOST_TEST(next.id() == 1);
    BOOST_TEST(p.stats().waiting == 0u);
}

BOOST_AUTO_TEST_CASE(close_fails_waiters_with_pool_closed) {
    auto& p = make_pool(with_max_size(1));
    auto& holder = acquire();
    settle();
    auto& waiter = acquire();
    settle();

    p.close();
    settle();
    BOOST_TEST(waiter.ec == error_code(error::pool_closed));
    BOOST_TEST(!waiter.conn);
    auto& late = acquire();
    settle();
    BOOST_TEST(late.ec == error_code(error::pool_closed));

    // A connection in use is closed when it comes back.
    p.release(std::move(holder.conn), true);
    BOOST_TEST(fake_connection::destroyed == 1);
    BOOST_TEST(fake_connection::closed_gracefully == 1);
    BOOST_TEST(p.stats().open == 0u);
    BOOST_TEST(p.stats().idle == 0u);
}

BOOST_AUTO_TEST_CASE(close_closes_idle_connections) {
    auto& p = make_pool(with_max_size(2));
    auto& first = acquire();
    settle();
    p.release(std::move(first.conn), true);
    p.close();
    BOOST_TEST(fake_connection::destroyed == 1);
    BOOST_TEST(fake_connection::closed_gracefully == 1);
    BOOST_TEST(p.stats().open == 0u);
    BOOST_TEST(p.stats().idle == 0u);
}

BOOST_AUTO_TEST_CASE(a_failed_open_gives_its_room_to_the_first_waiter) {
    auto& p = make_pool(with_max_size(1));
    fake_connection::open_results.push_back(asio::error::connection_refused);
    asio::steady_timer gate(io, asio::steady_timer::time_point::max());
    fake_connection::open_gate = &gate;
    auto& failing = acquire();
    auto& waiter = acquire();
    settle();
    BOOST_TEST(!failing.done);
    BOOST_TEST(p.stats().waiting == 1u);

    fake_connection::open_gate = nullptr; // the waiter's own open succeeds at once
    gate.cancel();
    settle();
    BOOST_TEST(failing.ec == asio::error::connection_refused);
    BOOST_TEST(!failing.conn);
    BOOST_TEST(!waiter.ec);
    BOOST_TEST(waiter.id() == 2);
    BOOST_TEST(fake_connection::destroyed == 1);
    BOOST_TEST(p.stats().open == 1u);
    BOOST_TEST(p.stats().waiting == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
