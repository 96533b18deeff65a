#ifndef DGRID_DETAIL_TRANSPORT_CONNECTION_HPP
#define DGRID_DETAIL_TRANSPORT_CONNECTION_HPP

// Internal, compiled into the library only: sees Asio, Beast and OpenSSL.

#include <dgrid/detail/base_url.hpp>
#include <dgrid/detail/engine/call_observation.hpp>
#include <dgrid/detail/op_cancellation.hpp>
#include <dgrid/detail/transport/connect_route.hpp>
#include <dgrid/detail/transport/host_resolution.hpp>
#include <dgrid/detail/transport/tls_session_cache.hpp>
#include <dgrid/detail/transport/tls_stream.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <cstddef>
#include <tuple>
#include <variant>

#include <sys/socket.h>

namespace dgrid::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

// The socket with its timer, and TLS over it.
using transport = beast::tcp_stream;
using tls_transport = tls_stream<transport>;

// Bytes one read may take at first. Beast sizes each read by the buffer's free
// capacity (512 bytes at least), so a buffer left at the few hundred bytes of
// its first use would read a response a few hundred bytes at a time. 4 KiB:
// a slow stream's reads take one event each, and 10,000 of them hold 40 MiB
// less than with 8 KiB; a stream whose reads fill the buffer grows it to
// `max_read_buffer_size` (stream_state::read_space).
constexpr std::size_t read_buffer_size = 4 * 1024;

// 8 KiB: half a TLS record per read (OpenSSL serves the rest without a system
// call) costs no more CPU than a whole one.
constexpr std::size_t max_read_buffer_size = 8 * 1024;

// One keep-alive connection to the gateway, plain or TLS. A request owns it
// while it runs; all of its I/O runs on its own strand, so that Beast's timeout
// timer and the reads never race when the context runs on several threads
// (on the client's executor, for a client that is not thread-safe).
class connection {
public:
    using executor_type = asio::any_io_executor; // executor_for_one

    // `tls_context` null: plain HTTP. `sessions`: where TLS sessions are
    // resumed from and kept, or none.
    connection(executor_type strand, asio::ssl::context* tls_context, bool verify = true,
               std::shared_ptr<tls_session_cache> sessions = {})
        : strand_(strand), verify_(verify), sessions_(std::move(sessions)) {
        buffer_.reserve(read_buffer_size);
        if (tls_context)
            stream_.emplace<tls_transport>(strand, *tls_context);
        else
            stream_.emplace<transport>(strand);
    }

    executor_type get_executor() const { return strand_; }

    beast::tcp_stream& tcp() {
        if (auto* tls = std::get_if<tls_transport>(&stream_))
            return tls->next_layer();
        return std::get<transport>(stream_);
    }

    tls_transport* tls() { return std::get_if<tls_transport>(&stream_); }

    // Calls `op` with the stream this connection speaks over, TLS or plain;
    // `op` gives one type for both.
    template <class Op>
    auto on_stream(Op& op) {
        if (auto* stream = tls())
            return op(*stream);
        return op(std::get<transport>(stream_));
    }

    // Arms Beast's timer for the operations that follow; `time_point::max()`
    // means none.
    void expire_at(std::chrono::steady_clock::time_point deadline) {
        if (deadline == std::chrono::steady_clock::time_point::max())
            tcp().expires_never();
        else
            tcp().expires_at(deadline);
    }

    // Whether the TLS record buffers stay from one record to the next (see
    // tls_stream): yes for a call, which then holds them (about 33 KiB) until
    // its connection's next request; no for a stream, which may wait long
    // between events, and for a handshake.
    void keep_tls_buffers(bool keep) {
        if (auto* stream = tls())
            stream->release_buffers_after_records(!keep);
    }

    // Gives back the TLS record buffers that hold no unread input, as the
    // write buffer after a request.
    void free_tls_buffers() {
        if (auto* stream = tls())
            stream->free_buffers();
    }

    // Bytes read past the end of the previous response stay here.
    beast::flat_buffer& buffer() { return buffer_; }

    // Requests written on this connection so far.
    std::size_t requests_sent = 0;

    // When the connection last went back to the pool.
    std::chrono::steady_clock::time_point idle_since;

    // How async_open went: how long it took, and whether TLS resumed a session.
    const connection_opening& opening() const noexcept { return opening_; }

    // Where a connection goes, and how it gets there.
    using route_type = connect_route;

    // Resolves, connects and (for TLS) handshakes with SNI and host name
    // verification, all within `route.timeout` (which fails with Beast's
    // timeout: operation_error names it). Runs on the connection's strand.
    asio::awaitable<error_code> async_open(const connect_route& route, diagnostics& diag) {
        co_await asio::this_coro::throw_if_cancelled(false);
        constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
        const base_url& url = route.origin;
        const proxy_endpoint* proxy = route.proxy ? &*route.proxy : nullptr;
        const std::string& host = proxy ? proxy->host : url.host;
        const std::string& port = proxy ? proxy->port : url.port;
        const auto started = std::chrono::steady_clock::now();
        const auto deadline = started + route.timeout;
        auto [resolve_ec, endpoints] = co_await resolve_by(deadline, route.resolver, host, port);
        if (resolve_ec) {
            diag.message = (proxy ? "cannot resolve the proxy " : "cannot resolve ") + host;
            co_return resolve_ec;
        }
        tcp().expires_at(deadline);
        auto [connect_ec, endpoint] = co_await tcp().async_connect(endpoints, tuple_awaitable);
        if (connect_ec) {
            diag.message = proxy ? "cannot connect to the proxy " + proxy->url_for_messages
                                 : "cannot connect to " + url.host + ":" + url.port;
            co_return connect_ec;
        }
        const auto connected = std::chrono::steady_clock::now();
        opening_.connect_time = connected - started;
        error_code ignored;
        tcp().socket().set_option(asio::ip::tcp::no_delay(true), ignored);
        const asio::cancellation_state cancellation = co_await asio::this_coro::cancellation_state;
        if (stop_requested(cancellation))
            co_return asio::error::operation_aborted;
        if (auto* stream = tls()) {
            if (proxy) {
                if (error_code ec = co_await open_tunnel(url, *proxy, diag))
                    co_return ec;
            }
            if (error_code ec = prepare_verification(*stream, url)) {
                diag.message = "cannot set up TLS verification for " + url.host;
                co_return ec;
            }
            if (sessions_)
                sessions_->attach(stream->native_handle());
            auto [handshake_ec] = co_await stream->async_handshake(tuple_awaitable);
            if (handshake_ec) {
                diag.message = "TLS handshake with " + url.host_header + " failed";
                long verify = SSL_get_verify_result(stream->native_handle());
                if (verify != X509_V_OK)
                    diag.message += std::string(": certificate: ") + X509_verify_cert_error_string(verify);
                co_return handshake_ec;
            }
            if (sessions_)
                sessions_->count_handshake(stream->native_handle());
            opening_.tls_resumed = SSL_session_reused(stream->native_handle()) == 1;
            opening_.handshake_time = std::chrono::steady_clock::now() - connected;
        }
        tcp().expires_never();
        co_return error_code();
    }

    // Ends a connection between requests properly: over TLS, close_notify
    // is sent without waiting for the peer's (a full send buffer drops it:
    // the socket closes next either way).
    void close_gracefully() {
        if (auto* stream = tls()) {
            error_code ec;
            tcp().socket().non_blocking(true, ec);
            if (!ec)
                stream->send_close_notify(ec);
        }
    }

    // True when the connection cannot carry another request: the peer closed
    // it or sent something while it sat idle. Does not block.
    bool dropped_while_idle() {
        if (buffer_.size() != 0)
            return true;
        if (auto* stream = tls(); stream && stream->has_unread_input())
            return true;
        char byte;
        auto n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0)
            return errno != EAGAIN && errno != EWOULDBLOCK;
        return true; // 0: orderly close; > 0: unexpected bytes (a TLS alert, say)
    }

private:
    // Asks the proxy for a tunnel to the gateway (CONNECT), on the TCP
    // connection to it; TLS to the gateway then runs inside. A refusal is
    // final for this request: credentials or a policy do not change on retry.
    asio::awaitable<error_code> open_tunnel(const base_url& url, const proxy_endpoint& proxy, diagnostics& diag) {
        constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
        const std::string request = connect_request(url.host, url.port, proxy);
        auto [write_ec, written] = co_await asio::async_write(tcp(), asio::buffer(request), tuple_awaitable);
        http::response_parser<http::empty_body> answer;
        error_code ec = write_ec;
        if (!ec)
            std::tie(ec, written) = co_await http::async_read_header(tcp(), buffer_, answer, tuple_awaitable);
        if (ec) {
            diag.message = "the proxy " + proxy.url_for_messages + " did not answer the tunnel request";
            co_return ec;
        }
        const unsigned status = answer.get().result_int();
        if (status / 100 == 2 && buffer_.size() == 0)
            co_return error_code();
        diag.http_status = status;
        const std::string to = url.host + ":" + url.port;
        // Only the proxy answers a CONNECT: its 401 (tinyproxy's answer to
        // wrong credentials) means the same as 407.
        if (status == 407 || status == 401) {
            diag.message = "the proxy " + proxy.url_for_messages + " wants credentials for the tunnel to " + to +
                           (proxy.authorization.empty() ? " (none were given)" : " (those given were refused)");
            co_return error::proxy_authentication_required;
        }
        if (status / 100 == 2)
            diag.message = "the proxy " + proxy.url_for_messages + " sent bytes of its own into the tunnel to " + to;
        else
            diag.message = "the proxy " + proxy.url_for_messages + " refused the tunnel to " + to + ": HTTP " +
                           std::to_string(status) + " " + std::string(answer.get().reason());
        co_return error::proxy_refused;
    }

    // The addresses of `host`, or Beast's timeout at `deadline` (which a
    // resolver that never answers meets).
    asio::awaitable<std::tuple<error_code, endpoints>> resolve_by(std::chrono::steady_clock::time_point deadline,
                                                                  const resolver_function& resolver,
                                                                  const std::string& host, const std::string& port) {
        using namespace asio::experimental::awaitable_operators;
        constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
        asio::steady_timer timer(strand_, deadline);
        auto first = co_await (async_resolve_host(strand_, resolver, host, port, tuple_awaitable) ||
                               timer.async_wait(tuple_awaitable));
        if (first.index() == 1)
            co_return std::tuple<error_code, endpoints>{beast::error::timeout, {}};
        co_return std::get<0>(std::move(first));
    }

    error_code prepare_verification(tls_transport& stream, const base_url& url) {
        SSL* ssl = stream.native_handle();
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        if (url.host_is_ip) {
            // No SNI for IP literals (RFC 6066); the certificate must name the address.
            if (X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) != 1)
                return error::invalid_base_url;
        } else {
            if (SSL_set_tlsext_host_name(ssl, url.host.c_str()) != 1)
                return error::invalid_base_url;
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            if (X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size()) != 1)
                return error::invalid_base_url;
        }
        stream.set_verify_mode(verify_ ? asio::ssl::verify_peer : asio::ssl::verify_none);
        return {};
    }

    executor_type strand_;
    bool verify_;
    std::shared_ptr<tls_session_cache> sessions_;
    std::variant<std::monostate, transport, tls_transport> stream_;
    beast::flat_buffer buffer_;
    connection_opening opening_;
};

} // namespace dgrid::detail

#endif
