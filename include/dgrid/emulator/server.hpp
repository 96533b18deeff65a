#ifndef DGRID_EMULATOR_SERVER_HPP
#define DGRID_EMULATOR_SERVER_HPP

#include <dgrid/emulator/server_options.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace dgrid::emulator {

/// An in-process DGrid gateway for tests: a real HTTP/1.1 server (TLS by
/// default) on its own threads that serves `GET /v1/models` and
/// `POST /v1/chat/completions` (plain or `"stream": true` server-sent events)
/// with deterministic models (`emulator/echo`, `emulator/tools`,
/// `emulator/reasoning`, `emulator/image`), misbehaves on request through
/// the `X-Emulator-Fault` header (the README's emulator section lists the
/// faults) and, when asked, limits each API key's requests and tokens per
/// minute as OpenAI does (`server_options::requests_per_minute`). Link
/// `dgrid::emulator`; the network stack stays behind this header, so including
/// it costs little.
///
/// ```cpp
/// dgrid::emulator::server gateway; // TLS on 127.0.0.1, a free port
/// gateway.start();
/// dgrid::client_options options;
/// options.base_url = gateway.base_url();
/// options.ca_file = gateway.ca_file().string();
/// options.api_key = "emulator-key"; // server_options::api_key
/// ```
///
/// Thread-safety: the accessors may be called from any thread at any time;
/// `start` and `stop` must not be called from the server's own threads.
class server {
public:
    /// A server that does nothing until `start()`.
    explicit server(server_options options = {});

    /// Stops the server; removes the CA file if the server chose its name.
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds and listens, generates the certificates and writes the CA file
    /// (TLS only), then starts the threads. Returns once connections are
    /// accepted. A server starts at most once; throws `std::logic_error` when
    /// called again, `boost::system::system_error` when the address is taken
    /// and `std::runtime_error` when certificates or the CA file cannot be made.
    void start();

    /// Closes the listener and every open connection, cancels stalls and joins
    /// the threads. Idempotent; does not wait for stalled requests.
    void stop();

    /// The port listened on (0 before `start()`).
    unsigned short port() const;

    /// `https://HOST:PORT/v1` (or `http://` without TLS): the client's base URL.
    std::string base_url() const;

    /// The file holding the CA certificate (TLS only; empty before `start()`).
    std::filesystem::path ca_file() const;

    /// The CA certificate in PEM (TLS only; empty before `start()`).
    std::string ca_pem() const;

    /// TCP connections accepted since `start()`.
    std::uint64_t connections_accepted() const;

    /// TCP connections currently open.
    std::uint64_t open_connections() const;

    /// HTTP responses written to the end, error responses included; a stream
    /// counts once its terminating chunk is written (also after `stream-error`
    /// or `stream-cut`); a response cut by a reset fault does not count.
    std::uint64_t requests_served() const;

    /// TLS handshakes completed.
    std::uint64_t tls_handshakes() const;

    /// TLS connections that the client ended with close_notify between requests.
    std::uint64_t tls_close_notifies() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace dgrid::emulator

#endif
