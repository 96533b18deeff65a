#ifndef DGRID_OBSERVER_HPP
#define DGRID_OBSERVER_HPP

#include <dgrid/chat_completion.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>

namespace dgrid {

/// Which client call an event belongs to.
enum class call_kind {
    chat,        ///< `async_chat`
    chat_stream, ///< `async_chat_stream`, from the request to the stream's end
    list_models, ///< `async_list_models`
};

/// What every event carries: the call it belongs to. `id` numbers the
/// client's calls from 1, so that events of concurrent calls can be told apart.
struct call_event {
    std::uint64_t id = 0;             ///< the call's number in its client, from 1
    call_kind kind = call_kind::chat; ///< which call it is
    std::string_view model;           ///< the request's model; empty for `list_models`
    /// Since the call started.
    std::chrono::steady_clock::duration elapsed{};
};

/// A request is about to be sent: the first time, or again.
struct attempt_event : call_event {
    unsigned attempt = 0; ///< 1 for the first
};

/// The attempt has its connection.
struct connection_event : call_event {
    unsigned attempt = 0;     ///< the attempt it serves, 1 for the first
    bool reused = false;      ///< it served requests before; else newly opened
    bool tls_resumed = false; ///< a new TLS connection that resumed an earlier session
    /// A new connection's time to resolve and connect (through a proxy: to the proxy).
    std::chrono::steady_clock::duration connect_time{};
    /// A new connection's TLS handshake (and a proxy's tunnel); zero for plain HTTP.
    std::chrono::steady_clock::duration handshake_time{};
};

/// The head of a response came.
struct response_head_event : call_event {
    unsigned attempt = 0;        ///< the attempt it answers, 1 for the first
    unsigned http_status = 0;    ///< its status
    std::string_view request_id; ///< `x-request-id`, empty when absent
};

/// A stream's chunk with part of the answer (content, reasoning or a tool call).
struct delta_event : call_event {
    std::size_t index = 0;     ///< 0 for the first such chunk of the stream
    std::size_t text_size = 0; ///< bytes of content and reasoning in it
};

/// The call will be sent again after `delay`, because of `reason`.
struct retry_event : call_event {
    unsigned attempt = 0;              ///< the attempt that failed
    error_code reason;                 ///< why it failed
    std::chrono::milliseconds delay{}; ///< the wait before the next attempt
};

/// The call ended: once per call, with its outcome. A stream ends at its
/// last event, at its final failure, or when it is dropped before its end
/// (`asio::error::operation_aborted`).
struct end_event : call_event {
    error_code ec;         ///< the call's outcome: success, or the error its caller saw
    unsigned attempts = 0; ///< requests sent for the call
    /// What is known of a failure; null on success and for a dropped stream.
    const diagnostics* diag = nullptr;
    /// The answer's usage (partial after a failure); null for `list_models`.
    const std::optional<dgrid::usage>* usage = nullptr;
};

/// Hooks the client calls as its calls go (`client_options::observer`), for
/// metrics and logs. Each hook has an empty default. Hooks run on the
/// threads that run the client's executor, concurrently for concurrent calls
/// of a thread-safe client, and must not block; what they receive lives only
/// for the call of the hook. Without an observer the client makes no event.
class observer {
public:
    virtual ~observer() = default;

    /// A request is about to be sent (before its connection).
    virtual void on_attempt(const attempt_event&) {}
    /// The attempt got its connection.
    virtual void on_connection(const connection_event&) {}
    /// A response's head came, whatever its status.
    virtual void on_response_head(const response_head_event&) {}
    /// The first chunk with part of a stream's answer: its time to first token.
    virtual void on_first_token(const delta_event&) {}
    /// Every chunk with part of a stream's answer, when `wants_deltas()`.
    virtual void on_delta(const delta_event&) {}
    /// An attempt failed and the call will be sent again.
    virtual void on_retry(const retry_event&) {}
    /// The call ended; once per call.
    virtual void on_end(const end_event&) {}

    /// Asked once per stream: whether `on_delta` is called for it.
    virtual bool wants_deltas() const { return false; }
};

/// How much a logger writes.
enum class log_level {
    info,  ///< each response head, retry and end
    debug, ///< also each attempt, connection, first token and delta
};

/// An observer that writes one line per event to `out` (stderr by default),
/// such as
/// `dgrid: call 3 chat openai/gpt-4o: HTTP 200 req-9 after 412 ms (attempt 1)`.
/// It never writes the API key or any request header. The client installs
/// one by itself when the environment variable `DGRID_LOG` is `info` or
/// `debug` and `client_options::observer` is unset.
DGRID_DECL std::shared_ptr<observer> make_logger(log_level level, std::FILE* out = stderr);

/// The level `DGRID_LOG` asks for, or none when it is unset or unknown.
DGRID_DECL std::optional<log_level> log_level_from_environment();

} // namespace dgrid

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/observer.ipp>
#endif

#endif
