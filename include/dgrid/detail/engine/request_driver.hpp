#ifndef DGRID_DETAIL_ENGINE_REQUEST_DRIVER_HPP
#define DGRID_DETAIL_ENGINE_REQUEST_DRIVER_HPP

// Internal, compiled into the library only: the I/O that an operation_fsm
// asks for, over a pool's connections. Templated on the pool and connection
// so that tests run it over Beast's test stream; the library runs it over
// connection_pool and TLS or TCP connections.
//
// A Connection has `get_executor()` (where its I/O runs), `on_stream(op)`
// (calls `op` with the stream to speak over), `expire_at(deadline)` (the
// deadline of the I/O that follows; `time_point::max()` for none),
// `buffer()` (a flat_buffer of bytes read past the response), a
// `requests_sent` counter, `keep_tls_buffers(bool)` and `opening()` (a
// connection_opening). A Pool has
// `async_acquire(conn, fresh, diag)` (an awaitable error_code) and
// `release(conn, reusable)`.

#include <dgrid/detail/engine/operation_fsm.hpp>
#include <dgrid/detail/http/wire_request.hpp>
#include <dgrid/detail/op_cancellation.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include <chrono>
#include <memory>
#include <tuple>

namespace dgrid::detail {

namespace asio = boost::asio;
namespace http = boost::beast::http;

// The token of the I/O a coroutine here awaits: a deferred operation is
// started by the awaiting frame itself, where `use_awaitable` would allocate
// and resume a frame of its own for each operation.
inline constexpr auto awaited_in_place = asio::as_tuple(asio::deferred);

// Carries out the machine's I/O steps (write, read the head, read the body)
// over `stream`, `conn`'s TLS or plain stream, from `step` until it asks for
// something else, which is returned. On the connection's strand.
template <class Stream, class Connection>
asio::awaitable<operation_step> exchange_steps(Stream& stream, Connection& conn, operation_fsm& fsm,
                                               const wire_request& request, diagnostics& diag, operation_step step) {
    co_await asio::this_coro::throw_if_cancelled(false);
    const asio::cancellation_state cancellation = co_await asio::this_coro::cancellation_state;
    // Beast's timer is armed again only when the deadline changes.
    clock::time_point armed = clock::time_point::min();
    for (;;) {
        if (fsm.deadline() != armed) {
            armed = fsm.deadline();
            conn.expire_at(armed);
        }
        error_code ec;
        std::size_t bytes = 0;
        if (step == operation_step::write)
            std::tie(ec, bytes) = co_await asio::async_write(stream, asio::buffer(request.text), awaited_in_place);
        else if (step == operation_step::read_header)
            std::tie(ec, bytes) =
                co_await http::async_read_header(stream, conn.buffer(), fsm.response(), awaited_in_place);
        else if (step == operation_step::read_body)
            std::tie(ec, bytes) = co_await http::async_read(stream, conn.buffer(), fsm.response(), awaited_in_place);
        else
            break;
        step = fsm.resume({ec, clock::now(), stop_requested(cancellation)}, diag);
    }
    conn.expire_at(clock::time_point::max());
    co_return step;
}

// Waits `delay` before a retry; fails when the wait is cancelled.
inline asio::awaitable<error_code> wait_before_retry(std::chrono::milliseconds delay) {
    const asio::cancellation_state cancellation = co_await asio::this_coro::cancellation_state;
    if (stop_requested(cancellation))
        co_return asio::error::operation_aborted;
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return ec;
}

// Runs `fsm` from `step` until it is done, and returns its error. `conn`
// holds the operation's connection: one given serves the first attempt, and
// a stream that opened keeps its own there. `interpret(response, diag)` is
// the error a whole response holds (none, for an answer read into the
// caller's value).
template <class Pool, class Connection, class Interpret>
asio::awaitable<error_code> drive(Pool& pool, operation_fsm& fsm, operation_step step, const wire_request& request,
                                  std::unique_ptr<Connection>& conn, diagnostics& diag, Interpret interpret) {
    const asio::cancellation_state cancellation = co_await asio::this_coro::cancellation_state;
    const asio::any_io_executor here = co_await asio::this_coro::executor;
    for (;;) {
        operation_event event;
        switch (step) {
        case operation_step::acquire:
            if (!conn)
                event.ec = co_await pool.async_acquire(conn, fsm.fresh(), diag);
            if (!event.ec) {
                event.reused = conn->requests_sent++ != 0;
                if (!event.reused)
                    event.opening = &conn->opening();
                conn->keep_tls_buffers(fsm.kind() == operation_kind::call);
            }
            break;
        case operation_step::write:
        case operation_step::read_header:
        case operation_step::read_body: {
            // The I/O runs on the connection's strand: in place when the
            // operation runs there too (it started with this connection),
            // else there and back.
            auto over = [&](auto& stream) { return exchange_steps(stream, *conn, fsm, request, diag, step); };
            auto exchanging = conn->on_stream(over);
            if (conn->get_executor() == here)
                step = co_await std::move(exchanging);
            else
                step = co_await asio::co_spawn(conn->get_executor(), std::move(exchanging), asio::use_awaitable);
            continue;
        }
        case operation_step::release: pool.release(std::move(conn), fsm.reusable()); break;
        case operation_step::interpret: event.ec = interpret(fsm.response(), diag); break;
        case operation_step::wait: event.ec = co_await wait_before_retry(fsm.delay()); break;
        case operation_step::done: co_return fsm.error();
        }
        event.now = clock::now();
        event.cancelled = stop_requested(cancellation);
        step = fsm.resume(event, diag);
    }
}

} // namespace dgrid::detail

#endif
