#ifndef DGRID_DETAIL_HTTP_EXCHANGE_HPP
#define DGRID_DETAIL_HTTP_EXCHANGE_HPP

// Internal, compiled into the library only: one HTTP request and its response
// on a connection the caller holds.

#include <dgrid/detail/connection.hpp>
#include <dgrid/detail/op_cancellation.hpp>
#include <dgrid/detail/response_reader.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <tuple>

namespace dgrid::detail {

namespace http = boost::beast::http;

using string_request = http::request<http::string_body>;

// How much of the response an exchange reads: all of it, or the header only
// (a stream's body is read later, event by event).
enum class read_mode { whole, header };

using clock = std::chrono::steady_clock;

// The deadline `budget` from now, or none (`time_point::max()`) for zero.
inline clock::time_point deadline_after(std::chrono::milliseconds budget) {
    return budget.count() > 0 ? clock::now() + budget : clock::time_point::max();
}

// The deadlines one exchange runs under: the response headers must arrive by
// `headers`, and everything must be done by `total`.
struct exchange_deadlines {
    clock::time_point headers = clock::time_point::max();
    clock::time_point total = clock::time_point::max();
};

// The library's own error for a transport error, where it has one. A Beast
// timeout names the phase whose deadline passed.
inline error_code library_error(error_code ec, clock::time_point total_deadline, error phase_timeout) {
    if (ec == beast::error::timeout)
        return clock::now() >= total_deadline ? error::total_timeout : phase_timeout;
    if (ec == http::error::body_limit)
        return error::response_too_large;
    if (ec == http::error::header_limit)
        return error::headers_too_large;
    return ec;
}

// A request as it goes on the wire (start line, fields, body), in one buffer:
// written once, sent as is by each attempt, in one TLS record for most.
struct wire_request {
    std::string text;
};

// The start line and fields of `request`, each line ended by CRLF, as Beast's
// serializer writes them, with room reserved for `room_after` more bytes (the
// blank line and the body, which the caller appends).
inline std::string head_text(const string_request& request, std::size_t room_after = 0) {
    const auto method = request.method_string();
    const auto target = request.target();
    const std::string_view version = " HTTP/1.1\r\n";
    std::size_t size = method.size() + 1 + target.size() + version.size() + room_after;
    for (const auto& field : request)
        size += field.name_string().size() + 2 + field.value().size() + 2;
    std::string text;
    text.reserve(size);
    const auto append = [&](auto piece) { text.append(piece.data(), piece.size()); };
    append(method);
    text.push_back(' ');
    append(target);
    append(version);
    for (const auto& field : request) {
        append(field.name_string());
        text.append(": ");
        append(field.value());
        text.append("\r\n");
    }
    return text;
}

// The token of the I/O a coroutine here awaits: a deferred operation is
// started by the awaiting frame itself, where `use_awaitable` would allocate
// and resume a frame of its own for each operation.
inline constexpr auto awaited_in_place = asio::as_tuple(asio::deferred);

// Sends `request` over `stream`, `conn`'s TLS or plain stream, and reads the
// response (or its header) into `parser`. Runs on the connection's strand.
template <class Stream, class Parser>
asio::awaitable<error_code> exchange_over(Stream& stream, connection& conn, const wire_request& request, Parser& parser,
                                          read_mode mode, exchange_deadlines limits) {
    co_await asio::this_coro::throw_if_cancelled(false);
    const asio::cancellation_state cancellation = co_await asio::this_coro::cancellation_state;
    conn.expire_at(std::min(limits.headers, limits.total));
    auto [ec, bytes] = co_await asio::async_write(stream, asio::buffer(request.text), awaited_in_place);
    if (!ec && stop_requested(cancellation))
        ec = asio::error::operation_aborted;
    if (!ec)
        std::tie(ec, bytes) = co_await http::async_read_header(stream, conn.buffer(), parser, awaited_in_place);
    if (!ec && mode == read_mode::whole && stop_requested(cancellation))
        ec = asio::error::operation_aborted;
    if (!ec && mode == read_mode::whole) {
        conn.expire_at(limits.total);
        std::tie(ec, bytes) = co_await http::async_read(stream, conn.buffer(), parser, awaited_in_place);
    }
    conn.tcp().expires_never();
    co_return library_error(ec, limits.total, error::headers_timeout);
}

// Sends `request` and reads the response (or its header) into `parser`.
// Runs on the connection's strand.
template <class Parser>
asio::awaitable<error_code> exchange(connection& conn, const wire_request& request, Parser& parser, read_mode mode,
                                     exchange_deadlines limits) {
    auto over = [&](auto& stream) { return exchange_over(stream, conn, request, parser, mode, limits); };
    return conn.on_stream(over);
}

// Reads the rest of a message whose header is in over `stream`, by
// `deadline`. Runs on the connection's strand.
template <class Stream, class Parser>
asio::awaitable<error_code> read_rest_over(Stream& stream, connection& conn, Parser& parser,
                                           clock::time_point deadline) {
    co_await asio::this_coro::throw_if_cancelled(false);
    conn.expire_at(deadline);
    auto [ec, bytes] = co_await http::async_read(stream, conn.buffer(), parser, awaited_in_place);
    conn.tcp().expires_never();
    co_return library_error(ec, deadline, error::total_timeout);
}

// Reads the rest of a message whose header is in, by `deadline`. Runs on the
// connection's strand.
template <class Parser>
asio::awaitable<error_code> read_rest(connection& conn, Parser& parser, clock::time_point deadline) {
    auto over = [&](auto& stream) { return read_rest_over(stream, conn, parser, deadline); };
    return conn.on_stream(over);
}

// Errors with which a reused keep-alive connection shows that the server had
// closed it while it sat idle: the request never reached the server, so it
// may be sent again when no byte of a response arrived.
inline bool is_lost_idle_connection(error_code ec) {
    return ec == asio::error::eof || ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
           ec == asio::error::not_connected || ec == asio::ssl::error::stream_truncated;
}

} // namespace dgrid::detail

#endif
