#ifndef DGRID_DETAIL_HTTP_EXCHANGE_HPP
#define DGRID_DETAIL_HTTP_EXCHANGE_HPP

// Internal, compiled into the library only: one HTTP request and its response
// on a connection the caller holds.

#include <dgrid/detail/connection.hpp>

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>

namespace dgrid::detail {

namespace http = boost::beast::http;

using string_request = http::request<http::string_body>;
using string_response_parser = http::response_parser<http::string_body>;
using stream_response_parser = http::response_parser<http::buffer_body>;

// How much of the response an exchange reads: all of it, or the header only
// (a stream's body is read later, event by event).
enum class read_mode { whole, header };

template <class Stream, class Parser>
asio::awaitable<error_code> write_then_read(Stream& stream, beast::flat_buffer& buffer, const string_request& request,
                                            Parser& parser, read_mode mode) {
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [write_ec, written] = co_await http::async_write(stream, request, token);
    if (write_ec)
        co_return write_ec;
    if (mode == read_mode::header) {
        auto [header_ec, header_read] = co_await http::async_read_header(stream, buffer, parser, token);
        co_return header_ec;
    }
    auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, token);
    co_return read_ec;
}

// Sends `request` and reads the response (or its header) into `parser`
// within `timeout`. Runs on the connection's strand.
template <class Parser>
asio::awaitable<error_code> exchange(connection& conn, const string_request& request, Parser& parser,
                                     read_mode mode, std::chrono::milliseconds timeout) {
    conn.tcp().expires_after(timeout);
    error_code ec;
    if (auto* stream = conn.tls())
        ec = co_await write_then_read(*stream, conn.buffer(), request, parser, mode);
    else
        ec = co_await write_then_read(*conn.plain(), conn.buffer(), request, parser, mode);
    conn.tcp().expires_never();
    if (ec == beast::error::timeout)
        ec = error::request_timeout_expired;
    else if (ec == http::error::body_limit)
        ec = error::response_too_large;
    co_return ec;
}

// Reads more of a message whose header is in: as much as `parser` takes
// (for a buffer_body parser, until its buffer is full). Runs on the
// connection's strand.
template <class Parser>
asio::awaitable<error_code> read_some_body(connection& conn, Parser& parser) {
    auto token = asio::as_tuple(asio::use_awaitable);
    error_code ec;
    if (auto* stream = conn.tls()) {
        auto [read_ec, n] = co_await http::async_read_some(*stream, conn.buffer(), parser, token);
        ec = read_ec;
    } else {
        auto [read_ec, n] = co_await http::async_read_some(*conn.plain(), conn.buffer(), parser, token);
        ec = read_ec;
    }
    if (ec == http::error::need_buffer)
        ec = {};
    co_return ec;
}

// Reads the rest of a message whose header is in, within `timeout`. Runs on
// the connection's strand.
template <class Parser>
asio::awaitable<error_code> read_rest(connection& conn, Parser& parser, std::chrono::milliseconds timeout) {
    conn.tcp().expires_after(timeout);
    auto token = asio::as_tuple(asio::use_awaitable);
    error_code ec;
    if (auto* stream = conn.tls()) {
        auto [read_ec, n] = co_await http::async_read(*stream, conn.buffer(), parser, token);
        ec = read_ec;
    } else {
        auto [read_ec, n] = co_await http::async_read(*conn.plain(), conn.buffer(), parser, token);
        ec = read_ec;
    }
    conn.tcp().expires_never();
    if (ec == beast::error::timeout)
        ec = error::request_timeout_expired;
    else if (ec == http::error::body_limit)
        ec = error::response_too_large;
    co_return ec;
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
