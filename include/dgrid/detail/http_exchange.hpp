#ifndef DGRID_DETAIL_HTTP_EXCHANGE_HPP
#define DGRID_DETAIL_HTTP_EXCHANGE_HPP

// Internal, compiled into the library only: one HTTP request and its response
// on a connection the caller holds.

#include <dgrid/detail/connection.hpp>

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>

namespace dgrid::detail {

namespace http = boost::beast::http;

using string_request = http::request<http::string_body>;
using string_response_parser = http::response_parser<http::string_body>;

template <class Stream>
asio::awaitable<error_code> write_then_read(Stream& stream, beast::flat_buffer& buffer, const string_request& request,
                                            string_response_parser& parser) {
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [write_ec, written] = co_await http::async_write(stream, request, token);
    if (write_ec)
        co_return write_ec;
    auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, token);
    co_return read_ec;
}

// Sends `request` and reads the whole response into `parser` within
// `timeout`. Runs on the connection's strand.
inline asio::awaitable<error_code> exchange(connection& conn, const string_request& request,
                                            string_response_parser& parser, std::chrono::milliseconds timeout) {
    conn.tcp().expires_after(timeout);
    error_code ec;
    if (auto* stream = conn.tls())
        ec = co_await write_then_read(*stream, conn.buffer(), request, parser);
    else
        ec = co_await write_then_read(*conn.plain(), conn.buffer(), request, parser);
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
