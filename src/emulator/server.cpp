// The network half of the emulator, and the only translation unit that
// instantiates Asio, Beast and coroutines: everything a request means is
// decided by handle_request() (handler.cpp); this file reads requests, acts out
// the transport faults and writes bytes.
#include <dgrid/emulator/server.hpp>

#include "emulator/api_error.hpp"
#include "emulator/certificates.hpp"
#include "emulator/faults.hpp"
#include "emulator/handler.hpp"
#include "emulator/rate_limits.hpp"
#include "emulator/stream_events.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace dgrid::emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using plain_stream = beast::tcp_stream;
using tls_stream = asio::ssl::stream<beast::tcp_stream>;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Large enough for requests carrying images, small enough to refuse a runaway client.
constexpr std::uint64_t request_body_limit = 32ULL * 1024 * 1024;
constexpr std::uint32_t request_header_limit = 64U * 1024;
constexpr auto handshake_timeout = std::chrono::seconds(10);
// How long a closing connection drains input while it waits for the peer's FIN.
constexpr auto linger_timeout = std::chrono::milliseconds(500);
// How long a reset-mid-body fault lets the partial response travel before the
// reset: a RST that overtakes it would make the client discard the bytes unread.
constexpr auto reset_grace = std::chrono::milliseconds(50);
// The pause after a failed accept (e.g. out of file descriptors), so the loop does not spin.
constexpr auto accept_retry_delay = std::chrono::milliseconds(10);
// With byte-at-a-time, the gap between the bytes of a chunked body's end, so
// that each arrives on its own however busy the client is: a client that
// waits a bounded number of reads for that end is then tested reliably.
constexpr auto trickle_gap = std::chrono::milliseconds(2);

// The response a failed read deserves, or nothing when the peer just left.
std::optional<api_error> read_failure_reply(const beast::error_code& ec) {
    if (ec == http::error::body_limit) {
        return api_error(413, "The request body exceeds 32 MiB.", "invalid_request_error", "request_too_large");
    }
    if (ec == http::error::header_limit) {
        return api_error(431, "The request headers exceed 64 KiB.", "invalid_request_error", "headers_too_large");
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec.category() != http::make_error_code(http::error::bad_method).category()) {
        return std::nullopt;
    }
    return api_error(400, "Malformed HTTP request: " + ec.message(), "invalid_request_error", "malformed_request");
}

// The response as bytes: serializing first lets the fault paths cut it at any
// byte (half the body, one byte per write). A stream gets only its header, with
// chunked transfer encoding or a Content-Length (`framing`; `length_beyond`:
// bytes it declares that are not sent), or neither for HTTP/1.0 or
// `body_framing::close`, whose body ends at the close.
std::string to_wire(const http_reply& reply, std::uint64_t request_number, unsigned version, bool keep_alive,
                    const stream_script* stream = nullptr, body_framing framing = body_framing::chunked,
                    std::uint64_t length_beyond = 0) {
    http::response<http::string_body> response;
    response.version(version);
    response.result(reply.status);
    if (response.result() == http::status::unknown) {
        response.reason(reason_phrase(reply.status));
    }
    response.set("x-request-id", "req-" + std::to_string(request_number));
    response.set(http::field::server, "dgrid-emulator");
    response.set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) {
        response.insert(name, value);
    }
    response.keep_alive(keep_alive);
    std::ostringstream out;
    if (stream) {
        if (version >= 11 && framing == body_framing::length) {
            std::uint64_t length = length_beyond;
            for (const stream_step& step : stream->steps) {
                length += step.bytes.size();
            }
            response.content_length(length);
        } else {
            response.chunked(version >= 11 && framing != body_framing::close);
        }
        out << response.base();
    } else {
        response.body() = reply.body;
        response.prepare_payload();
        out << response;
    }
    return out.str();
}

// The line that opens an HTTP/1.1 chunk of `size` bytes: the size in hex,
// `extension` if any, CRLF.
std::string chunk_size_line(std::size_t size, std::string_view extension = {}) {
    std::ostringstream line;
    line << std::hex << size << extension << "\r\n";
    return line.str();
}

// Writes the parts one after the other; `one_at_a_time`: one byte per write.
template <class Stream, std::size_t N>
asio::awaitable<bool> write_parts(Stream& stream, std::array<std::string_view, N> parts, bool one_at_a_time) {
    if (!one_at_a_time) {
        std::array<asio::const_buffer, N> buffers;
        for (std::size_t i = 0; i < N; ++i) {
            buffers[i] = asio::const_buffer(parts[i].data(), parts[i].size());
        }
        auto [ec, written] = co_await asio::async_write(stream, buffers, use_tuple);
        co_return !ec;
    }
    for (const std::string_view bytes : parts) {
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            const asio::const_buffer one(bytes.data() + i, 1);
            auto [ec, written] = co_await asio::async_write(stream, one, use_tuple);
            if (ec) {
                co_return false;
            }
        }
    }
    co_return true;
}

template <class Stream>
asio::awaitable<bool> write_bytes(Stream& stream, std::string_view bytes, bool one_at_a_time) {
    const std::array<std::string_view, 1> parts{bytes};
    const bool written = co_await write_parts(stream, parts, one_at_a_time);
    co_return written;
}

} // namespace

struct server::impl {
    // One accepted connection; shared by its coroutine and the closer that
    // stop() runs, which must not outlive it.
    template <class Stream>
    struct connection {
        template <class... Args>
        explicit connection(impl& owner, Args&&... args)
            : owner(owner), stream(std::forward<Args>(args)...), timer(stream.get_executor()) {
            ++owner.open;
        }
        ~connection() {
            owner.withdraw(id);
            --owner.open;
        }
        connection(const connection&) = delete;
        connection& operator=(const connection&) = delete;

        tcp::socket& socket() { return beast::get_lowest_layer(stream).socket(); }

        // stop(): fail every pending operation, stalls included.
        void abort() {
            beast::error_code ignored;
            socket().close(ignored);
            timer.cancel();
        }

        // A zero linger time makes close() send a RST instead of a FIN, and
        // skipping the TLS shutdown leaves the client no close_notify either.
        void reset() {
            beast::error_code ignored;
            socket().set_option(tcp::socket::linger(true, 0), ignored);
            socket().close(ignored);
        }

        impl& owner;
        Stream stream;
        asio::steady_timer timer; // stall, token delay and reset-grace waits
        std::uint64_t id = 0;     // the key of its closer; 0 until enrolled
    };

    explicit impl(server_options o)
        : options(std::move(o)), limits(options.requests_per_minute, options.tokens_per_minute) {}

    template <class Stream, class... Args>
    void spawn(tcp::socket socket, Args&... args) {
        const auto executor = socket.get_executor();
        auto conn = std::make_shared<connection<Stream>>(*this, std::move(socket), args...);
        if (enroll(conn)) {
            asio::co_spawn(executor, serve(std::move(conn)), asio::detached);
        }
    }

    // Registers the closer stop() uses; false once stop() has begun, so that a
    // connection accepted during stop() is dropped rather than served.
    template <class Stream>
    bool enroll(const std::shared_ptr<connection<Stream>>& conn) {
        const std::lock_guard lock(mutex);
        if (stopping) {
            return false;
        }
        conn->id = ++connection_ids;
        closers.emplace(conn->id, [weak = std::weak_ptr(conn), executor = conn->stream.get_executor()] {
            // The connection's strand is the only place its socket may be touched.
            asio::post(executor, [weak] {
                if (const auto c = weak.lock()) {
                    c->abort();
                }
            });
        });
        return true;
    }

    void withdraw(std::uint64_t id) {
        const std::lock_guard lock(mutex);
        closers.erase(id);
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            // A strand per connection: with several threads its handlers never run concurrently.
            tcp::socket socket(asio::make_strand(*ioc));
            auto [ec] = co_await acceptor->async_accept(socket, use_tuple);
            if (stopping || !acceptor->is_open()) {
                co_return;
            }
            if (ec) {
                asio::steady_timer retry(acceptor->get_executor(), accept_retry_delay);
                co_await retry.async_wait(use_tuple);
                continue;
            }
            ++accepted;
            // Tiny writes (byte-at-a-time) must leave as tiny segments, and small
            // responses must not wait for delayed ACKs.
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            if (options.tls) {
                spawn<tls_stream>(std::move(socket), *tls);
            } else {
                spawn<plain_stream>(std::move(socket));
            }
        }
    }

    template <class Stream>
    asio::awaitable<void> serve(std::shared_ptr<connection<Stream>> conn) {
        auto& stream = conn->stream;
        auto& transport = beast::get_lowest_layer(stream);
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            transport.expires_after(handshake_timeout);
            auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
            if (ec) {
                co_return;
            }
            ++handshakes;
        }

        beast::flat_buffer buffer;
        std::size_t answered = 0;
        while (!stopping) {
            // A keep-alive connection may idle as long as the client likes.
            transport.expires_never();
            http::request_parser<http::string_body> parser;
            parser.header_limit(request_header_limit);
            parser.body_limit(request_body_limit);
            auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
            beast::error_code ec = header_ec;
            if constexpr (std::is_same_v<Stream, tls_stream>) {
                // Asio's TLS stream reads the end of a stream as eof only after close_notify.
                if (ec == http::error::end_of_stream || ec == asio::error::eof)
                    ++close_notifies;
            }
            if (!ec && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
                static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
                const bool written = co_await write_bytes(stream, go_on, false);
                if (!written) {
                    co_return;
                }
            }
            if (!ec) {
                auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);
                ec = body_ec;
            }
            if (ec) {
                if (const auto error = read_failure_reply(ec)) {
                    const fault_plan no_faults;
                    const std::string wire = to_wire(error_reply(*error, no_faults), ++requests, 11, false);
                    const bool written = co_await write_bytes(stream, wire, false);
                    if (written) {
                        ++served;
                        co_await close_gracefully(*conn);
                    }
                }
                co_return;
            }

            const auto& request = parser.get();
            const std::uint64_t number = ++requests;
            beast::string_view faults = request[beast::string_view(fault_header.data(), fault_header.size())];
            if (faults.empty()) {
                const std::string_view picked = chaos.pick();
                faults = beast::string_view(picked.data(), picked.size());
            }
            const request_view view{request.method_string(),
                                    request.target(),
                                    request[http::field::authorization],
                                    faults,
                                    request.body(),
                                    request[beast::string_view(token_delay_header.data(), token_delay_header.size())]};
            const exchange ex = handle_request(view, options.api_key, number, budget, limits,
                                               std::chrono::steady_clock::now(), options.token_delay);

            ++answered;
            const bool client_closes = !request.keep_alive();
            // An HTTP/1.0 stream has no chunked encoding: its body ends at the close.
            const bool unframed_stream =
                ex.stream && (request.version() < 11 || ex.faults.framing == body_framing::close);
            // A cut body with a Content-Length declares more than it sends.
            const bool short_body = ex.stream && !unframed_stream && ex.faults.framing == body_framing::length &&
                                    ex.faults.stream_cut.has_value();
            const bool closing =
                client_closes || ex.faults.close_after_response || unframed_stream || short_body ||
                (options.max_requests_per_connection != 0 && answered >= options.max_requests_per_connection);
            // A client that asked to close always hears it; a close the server
            // decides on is silent unless announce_close, like an idle timeout.
            const bool keep_alive = !closing || (!client_closes && !unframed_stream && !options.announce_close);
            const std::string wire = to_wire(ex.reply, number, request.version(), keep_alive,
                                             ex.stream ? &*ex.stream : nullptr, ex.faults.framing, short_body ? 1 : 0);

            const bool stalled = co_await pause(*conn, ex.faults.stall);
            if (!stalled) {
                co_return;
            }
            if (ex.faults.reset_before_headers) {
                conn->reset();
                co_return;
            }
            if (ex.stream) {
                const std::optional<body_framing> framing =
                    unframed_stream ? std::nullopt : std::optional<body_framing>(ex.faults.framing);
                const bool ended = co_await write_stream(*conn, wire, *ex.stream, ex.faults.byte_at_a_time, framing);
                if (!ended) {
                    co_return;
                }
                ++served;
                if (closing) {
                    co_await close_gracefully(*conn);
                    co_return;
                }
                continue;
            }
            if (ex.faults.reset_mid_body) {
                const std::size_t cut = wire.size() - ex.reply.body.size() + ex.reply.body.size() / 2;
                const std::string_view partial = std::string_view(wire).substr(0, cut);
                const bool written = co_await write_bytes(stream, partial, ex.faults.byte_at_a_time);
                if (written) {
                    co_await pause(*conn, reset_grace);
                }
                conn->reset();
                co_return;
            }
            const bool written = co_await write_bytes(stream, wire, ex.faults.byte_at_a_time);
            if (!written) {
                co_return;
            }
            ++served;
            if (closing) {
                co_await close_gracefully(*conn);
                co_return;
            }
        }
    }

    // Waits `duration` on the connection's timer, which stop() cancels; false
    // once the server stops. Checking before the wait too matters: stop() may
    // have run while the coroutine was between two operations.
    template <class Stream>
    asio::awaitable<bool> pause(connection<Stream>& conn, std::chrono::milliseconds duration) {
        if (stopping) {
            co_return false;
        }
        if (duration.count() > 0) {
            conn.timer.expires_after(duration);
            co_await conn.timer.async_wait(use_tuple);
        }
        co_return !stopping;
    }

    // Writes the header of a streamed response and then its script, one HTTP
    // chunk per step (two with `body_framing::extensions`), or the bytes
    // alone for a Content-Length or no `framing` at all. True when the body
    // ended properly (terminating chunk written), so that the connection may
    // serve further requests; false after a reset, a write error or stop().
    template <class Stream>
    asio::awaitable<bool> write_stream(connection<Stream>& conn, const std::string& head, const stream_script& script,
                                       bool one_at_a_time, std::optional<body_framing> framing) {
        const bool head_written = co_await write_bytes(conn.stream, head, one_at_a_time);
        if (!head_written) {
            co_return false;
        }
        const bool chunked = framing && framing != body_framing::length;
        const bool extensions = framing == body_framing::extensions;
        for (const stream_step& step : script.steps) {
            const bool waited = co_await pause(conn, step.delay);
            if (!waited) {
                co_return false;
            }
            if (step.bytes.empty()) {
                continue; // an empty chunk would end the body
            }
            const std::string_view bytes = step.bytes;
            const std::size_t split = extensions && bytes.size() > 1 ? bytes.size() / 2 : bytes.size();
            for (const std::string_view piece : {bytes.substr(0, split), bytes.substr(split)}) {
                if (piece.empty()) {
                    continue;
                }
                const std::string size_line =
                    chunked ? chunk_size_line(piece.size(), extensions ? "; ext=\"a;b\"" : "") : std::string();
                const std::string_view crlf = chunked ? "\r\n" : "";
                const std::array<std::string_view, 3> parts{size_line, piece, crlf};
                const bool written = co_await write_parts(conn.stream, parts, one_at_a_time);
                if (!written) {
                    co_return false;
                }
            }
            if (framing == body_framing::malformed) {
                co_await write_bytes(conn.stream, "zz\r\n", one_at_a_time);
                co_await pause(conn, reset_grace);
                co_return false;
            }
        }
        if (script.end == stream_end::reset) {
            // Let the chunks written so far reach the client before the RST.
            const bool waited = co_await pause(conn, reset_grace);
            if (waited) {
                conn.reset();
            }
            co_return false;
        }
        if (chunked) {
            const std::string_view last_chunk =
                extensions ? "0;last\r\nX-Trailer: done\r\nX-Checksum: none\r\n\r\n" : "0\r\n\r\n";
            if (!one_at_a_time) {
                const bool written = co_await write_bytes(conn.stream, last_chunk, false);
                co_return written;
            }
            for (std::size_t i = 0; i < last_chunk.size(); ++i) {
                const bool written = co_await write_bytes(conn.stream, last_chunk.substr(i, 1), true);
                if (!written) {
                    co_return false;
                }
                const bool waited = co_await pause(conn, trickle_gap);
                if (!waited) {
                    co_return false;
                }
            }
        }
        co_return true;
    }

    // Closes without destroying a response still in flight: sends TLS
    // close_notify and a FIN at once, then drains the input until the peer's
    // FIN, since closing with unread input (say, the rest of a refused upload)
    // would send a RST that can overtake the response.
    template <class Stream>
    asio::awaitable<void> close_gracefully(connection<Stream>& conn) {
        auto& transport = beast::get_lowest_layer(conn.stream);
        transport.expires_after(linger_timeout);
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            // Marking the peer's close_notify as received makes the shutdown
            // only send ours instead of waiting for a client that may be idle.
            SSL_set_shutdown(conn.stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
            co_await conn.stream.async_shutdown(use_tuple);
        }
        beast::error_code ignored;
        transport.socket().shutdown(tcp::socket::shutdown_send, ignored);
        std::array<char, 4096> sink{};
        for (;;) {
            const asio::mutable_buffer into(sink.data(), sink.size());
            auto [ec, drained] = co_await transport.async_read_some(into, use_tuple);
            if (ec) {
                break;
            }
        }
        transport.close();
    }

    const server_options options;

    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> open{0};
    std::atomic<std::uint64_t> served{0};
    std::atomic<std::uint64_t> handshakes{0};
    std::atomic<std::uint64_t> close_notifies{0};
    std::atomic<std::uint64_t> requests{0}; // numbers x-request-id and completion ids
    std::atomic<unsigned short> bound_port{0};
    std::atomic<bool> stopping{false};
    fault_budget budget;
    random_faults chaos{options.random_fault_rate, options.random_fault_seed};
    rate_limiter limits; // per API key, over all connections

    mutable std::mutex mutex; // guards everything below
    bool started = false;
    std::filesystem::path ca_path;
    bool owns_ca_file = false;
    std::string ca_pem;
    std::uint64_t connection_ids = 0;
    std::unordered_map<std::uint64_t, std::function<void()>> closers;

    // Declared last so that they go first: pending handlers may still refer to
    // the members above while the io_context is destroyed.
    std::unique_ptr<asio::io_context> ioc;
    std::optional<asio::ssl::context> tls;
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;
};

server::server(server_options options) : impl_(std::make_unique<impl>(std::move(options))) {}

server::~server() {
    stop();
    if (impl_->owns_ca_file) {
        std::error_code ignored;
        std::filesystem::remove(impl_->ca_path, ignored);
    }
}

void server::start() {
    impl& s = *impl_;
    {
        const std::lock_guard lock(s.mutex);
        if (s.started) {
            throw std::logic_error("dgrid::emulator::server::start: a server starts only once");
        }
        s.started = true;
    }
    const unsigned thread_count = std::max(1U, s.options.threads);
    s.ioc = std::make_unique<asio::io_context>(static_cast<int>(thread_count));

    const tcp::endpoint endpoint(asio::ip::make_address(s.options.host), s.options.port);
    s.acceptor.emplace(asio::make_strand(*s.ioc));
    s.acceptor->open(endpoint.protocol());
    s.acceptor->set_option(asio::socket_base::reuse_address(true));
    s.acceptor->bind(endpoint);
    s.acceptor->listen(asio::socket_base::max_listen_connections);
    s.bound_port = s.acceptor->local_endpoint().port();

    if (s.options.tls) {
        const certificate_bundle certificates = make_certificates(s.options.certificate_names);
        const bool owned = s.options.ca_file.empty();
        // The port makes the name unique among the servers running on this host.
        const std::filesystem::path path = owned ? std::filesystem::temp_directory_path() /
                                                       ("dgrid-emulator-ca-" + std::to_string(s.bound_port) + ".pem")
                                                 : s.options.ca_file;
        std::ofstream file(path, std::ios::binary | std::ios::trunc);
        file << certificates.ca_certificate;
        file.close();
        if (!file) {
            throw std::runtime_error("dgrid::emulator::server: cannot write the CA file " + path.string());
        }
        {
            const std::lock_guard lock(s.mutex);
            s.ca_path = path;
            s.owns_ca_file = owned;
            s.ca_pem = certificates.ca_certificate;
        }
        s.tls.emplace(asio::ssl::context::tls_server);
        if (SSL_CTX_set_min_proto_version(s.tls->native_handle(), TLS1_2_VERSION) != 1) {
            throw std::runtime_error("dgrid::emulator::server: cannot require TLS 1.2");
        }
        if (s.options.tls_1_2_only && SSL_CTX_set_max_proto_version(s.tls->native_handle(), TLS1_2_VERSION) != 1) {
            throw std::runtime_error("dgrid::emulator::server: cannot limit TLS to 1.2");
        }
        s.tls->use_certificate_chain(asio::buffer(certificates.leaf_certificate));
        s.tls->use_private_key(asio::buffer(certificates.leaf_private_key), asio::ssl::context::pem);
    }

    asio::co_spawn(s.acceptor->get_executor(), s.accept_loop(), asio::detached);
    for (unsigned i = 0; i < thread_count; ++i) {
        s.threads.emplace_back([&ioc = *s.ioc] { ioc.run(); });
    }
}

void server::stop() {
    impl& s = *impl_;
    std::unordered_map<std::uint64_t, std::function<void()>> closers;
    {
        const std::lock_guard lock(s.mutex);
        if (!s.started || s.stopping) {
            return;
        }
        s.stopping = true;
        closers.swap(s.closers);
    }
    if (s.acceptor) {
        asio::post(s.acceptor->get_executor(), [&acceptor = *s.acceptor] {
            beast::error_code ignored;
            acceptor.close(ignored);
        });
    }
    for (const auto& [id, close] : closers) {
        close();
    }
    // The closers hold strand executors, which must die before the io_context.
    closers.clear();
    // Every coroutine now fails its pending operation and ends, so run() returns.
    for (auto& thread : s.threads) {
        thread.join();
    }
    s.threads.clear();
    s.acceptor.reset();
    s.ioc.reset();
}

unsigned short server::port() const { return impl_->bound_port; }

std::string server::base_url() const {
    const std::string& host = impl_->options.host;
    const bool ipv6 = host.find(':') != std::string::npos;
    return std::string(impl_->options.tls ? "https://" : "http://") + (ipv6 ? "[" + host + "]" : host) + ":" +
           std::to_string(port()) + "/v1";
}

std::filesystem::path server::ca_file() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->ca_path;
}

std::string server::ca_pem() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->ca_pem;
}

std::uint64_t server::connections_accepted() const { return impl_->accepted; }

std::uint64_t server::open_connections() const { return impl_->open; }

std::uint64_t server::requests_served() const { return impl_->served; }

std::uint64_t server::tls_handshakes() const { return impl_->handshakes; }

std::uint64_t server::tls_close_notifies() const { return impl_->close_notifies; }

} // namespace dgrid::emulator
