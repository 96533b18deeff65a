#ifndef DGRID_CLIENT_HPP
#define DGRID_CLIENT_HPP

#include <dgrid/chat_completion.hpp>
#include <dgrid/chat_request.hpp>
#include <dgrid/chat_stream.hpp>
#include <dgrid/client_options.hpp>
#include <dgrid/detail/async_ops.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/model_list.hpp>
#include <dgrid/pool_stats.hpp>
#include <dgrid/request_options.hpp>
#include <dgrid/with_diagnostics.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace dgrid {

/// A client of the DGrid gateway (or any OpenAI-compatible one): pooled
/// keep-alive TLS connections and asynchronous, typed API calls.
///
/// Thread safety: all member functions may be called concurrently, from any
/// thread, as long as the executor's execution context is running. Each
/// connection does its I/O on a strand of its own. With
/// `client_options::thread_safe` false the client makes no strands: its
/// executor's context must run on one thread (or the executor be a strand),
/// and only `cancel()` and `stats()` may come from other threads.
///
/// Completion tokens: every `async_` function takes any Asio completion token.
/// The default, `with_diagnostics(asio::use_awaitable)`, makes
/// `co_await client.async_chat(req)` return the value or throw
/// `error_with_diagnostics`. A plain token (`use_awaitable`, `deferred`,
/// `use_future`, a callback) gets `void(error_code, T)`; pass a `diagnostics&`
/// to learn what the server said.
class client {
public:
    /// The type of the client's executor.
    using executor_type = boost::asio::any_io_executor;
    /// The default completion token, `with_diagnostics(asio::use_awaitable)`: a failure
    /// throws `error_with_diagnostics`.
    using default_token = with_diagnostics_t<boost::asio::use_awaitable_t<executor_type>>;

    /// Builds a client; no I/O happens until the first request.
    /// Throws `error_with_diagnostics` (`missing_api_key`, `invalid_base_url`,
    /// `invalid_header_value`) or, for an unreadable `ca_file`, `boost::system::system_error`.
    DGRID_DECL client(executor_type ex, client_options options = {});

    /// Builds a client on the executor of `ctx` (an `io_context`, say); throws as above.
    template <class ExecutionContext,
              class = std::enable_if_t<std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>>>
    explicit client(ExecutionContext& ctx, client_options options = {})
        : client(executor_type(ctx.get_executor()), std::move(options)) {}

    /// Takes over `other`'s client; `other` may then only be destroyed or assigned to.
    client(client&&) noexcept = default;
    /// Takes over `other`'s client, dropping this one's; `other` may then only be
    /// destroyed or assigned to.
    client& operator=(client&&) noexcept = default;
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// Closes idle connections and fails requests waiting for one with
    /// `error::pool_closed`. Requests under way finish first and keep what they need alive.
    DGRID_DECL ~client();

    /// The executor the client was built with; a handler without an associated
    /// executor completes on it.
    DGRID_DECL executor_type get_executor() const noexcept;

    /// The options the client runs with (the API key as resolved).
    DGRID_DECL const client_options& options() const noexcept;

    /// Counters of the connection pool.
    DGRID_DECL pool_stats stats() const;

    /// Cancels every operation under way, from any thread: each completes
    /// with `asio::error::operation_aborted` (requests waiting for a
    /// connection too), and its connection is closed rather than pooled. The
    /// client stays usable for new operations.
    DGRID_DECL void cancel();

    /// `POST {base_url}/chat/completions`, not streamed: completes with the
    /// whole `chat_completion`. The request's `stream` member is sent as false.
    /// The request is checked and written out for the wire in this call, so
    /// it is not copied and need not outlive the call; an operation that
    /// starts later (`use_awaitable`, `deferred`) keeps only those bytes. A
    /// request that cannot be sent still fails through the handler, never by
    /// an exception here.
    ///
    /// `options`: timeouts, retries and headers of this call only, over the
    /// client's (`request_options`).
    /// Handler signature: `void(error_code, chat_completion)`.
    /// Executor: the handler's associated executor, else the client's.
    /// Retries: as `client_options::retry` says; `diag.attempts` counts them.
    /// Deadlines: `timeouts.headers` per attempt, `timeouts.total` for all.
    /// Cancellation: terminal, through the handler's cancellation slot, in
    /// every phase (waiting for a connection, connecting, the exchange, the
    /// wait before a retry), and `cancel()`; the operation fails with
    /// `asio::error::operation_aborted` and its connection is closed.
    /// `diag` must stay valid until the operation completes.
    template <class CompletionToken = default_token>
    auto async_chat(const chat_request& request, const request_options& options, diagnostics& diag,
                    CompletionToken&& token = {}) {
        return initiate_chat(&diag, request, options, std::forward<CompletionToken>(token));
    }

    /// As above, without diagnostics for plain tokens.
    template <class CompletionToken = default_token>
    requires(!detail::call_argument<CompletionToken>) auto async_chat(const chat_request& request,
                                                                      const request_options& options,
                                                                      CompletionToken&& token = {}) {
        return initiate_chat(nullptr, request, options, std::forward<CompletionToken>(token));
    }

    /// As above, with the client's options.
    template <class CompletionToken = default_token>
    auto async_chat(const chat_request& request, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate_chat(&diag, request, request_options{}, std::forward<CompletionToken>(token));
    }

    /// As above, with the client's options and without diagnostics.
    template <class CompletionToken = default_token>
    requires(!detail::call_argument<CompletionToken>) auto async_chat(const chat_request& request,
                                                                      CompletionToken&& token = {}) {
        return initiate_chat(nullptr, request, request_options{}, std::forward<CompletionToken>(token));
    }

    /// `POST {base_url}/chat/completions` with `"stream": true`: completes
    /// once the response headers are in, with a `chat_stream` to pull the
    /// chunks from. HTTP errors are reported here, exactly as by `async_chat`.
    /// Unless the request's `extra` sets `stream_options`, it asks for
    /// `{"include_usage": true}` so that the completion gets its usage.
    /// The request is written out in this call, as by `async_chat`.
    ///
    /// `options`: as for `async_chat`; they hold for the whole stream.
    /// Handler signature: `void(error_code, chat_stream)`.
    /// Retries and cancellation: as `async_chat`, until the headers are in;
    /// the stream itself is also sent again if it fails before part of the
    /// answer reached the caller (see `chat_stream::async_next`).
    /// Deadlines: `timeouts.headers`, and `timeouts.stream_total` for the
    /// whole stream (none by default).
    template <class CompletionToken = default_token>
    auto async_chat_stream(const chat_request& request, const request_options& options, diagnostics& diag,
                           CompletionToken&& token = {}) {
        return initiate_chat_stream(&diag, request, options, std::forward<CompletionToken>(token));
    }

    /// As above, without diagnostics for plain tokens.
    template <class CompletionToken = default_token>
    requires(!detail::call_argument<CompletionToken>) auto async_chat_stream(const chat_request& request,
                                                                             const request_options& options,
                                                                             CompletionToken&& token = {}) {
        return initiate_chat_stream(nullptr, request, options, std::forward<CompletionToken>(token));
    }

    /// As above, with the client's options.
    template <class CompletionToken = default_token>
    auto async_chat_stream(const chat_request& request, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate_chat_stream(&diag, request, request_options{}, std::forward<CompletionToken>(token));
    }

    /// As above, with the client's options and without diagnostics.
    template <class CompletionToken = default_token>
    requires(!detail::call_argument<CompletionToken>) auto async_chat_stream(const chat_request& request,
                                                                             CompletionToken&& token = {}) {
        return initiate_chat_stream(nullptr, request, request_options{}, std::forward<CompletionToken>(token));
    }

    /// `GET {base_url}/models`: the models the gateway serves (also a cheap
    /// check of the API key).
    ///
    /// Handler signature: `void(error_code, model_list)`.
    /// Options, retries, deadlines and cancellation: as `async_chat`.
    template <class CompletionToken = default_token>
    auto async_list_models(const request_options& options, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate_list_models(&diag, options, std::forward<CompletionToken>(token));
    }

    /// As above, without diagnostics for plain tokens.
    template <class CompletionToken = default_token>
    requires(!detail::call_argument<CompletionToken>) auto async_list_models(const request_options& options,
                                                                             CompletionToken&& token = {}) {
        return initiate_list_models(nullptr, options, std::forward<CompletionToken>(token));
    }

    /// As above, with the client's options.
    template <class CompletionToken = default_token>
    auto async_list_models(diagnostics& diag, CompletionToken&& token = {}) {
        return initiate_list_models(&diag, request_options{}, std::forward<CompletionToken>(token));
    }

    /// As above, with the client's options and without diagnostics.
    template <class CompletionToken = default_token>
    requires(!detail::call_argument<CompletionToken>) auto async_list_models(CompletionToken&& token = {}) {
        return initiate_list_models(nullptr, request_options{}, std::forward<CompletionToken>(token));
    }

    /// Shuts the client down gracefully. From the call on, new operations
    /// fail with `error::pool_closed`. Operations under way finish, and so
    /// do open streams, which count as under way until their end, their
    /// failure or their destruction (a stream nobody reads holds the
    /// shutdown up). Then the idle connections are closed cleanly (TLS
    /// `close_notify`) and the handler runs. `async_next` on a stream that
    /// was open before keeps working.
    ///
    /// `deadline`: after it, what is still under way is cancelled (it fails
    /// with `asio::error::operation_aborted`), and connections held by
    /// streams nobody reads are no longer waited for: they close when their
    /// stream ends or goes.
    ///
    /// Handler signature: `void(error_code)`, always success. The client
    /// stays a valid object; it only refuses work.
    template <class CompletionToken = boost::asio::use_awaitable_t<executor_type>>
    auto async_shutdown(std::chrono::milliseconds deadline, CompletionToken&& token = {}) {
        return initiate_shutdown(deadline, std::forward<CompletionToken>(token));
    }

    /// As above, with no deadline: waits for everything under way.
    template <class CompletionToken = boost::asio::use_awaitable_t<executor_type>>
    requires(!std::is_convertible_v<CompletionToken, std::chrono::milliseconds>) auto async_shutdown(
        CompletionToken&& token = {}) {
        return initiate_shutdown(std::nullopt, std::forward<CompletionToken>(token));
    }

private:
    template <class CompletionToken>
    auto initiate_shutdown(std::optional<std::chrono::milliseconds> deadline, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [impl = impl_](auto handler, std::optional<std::chrono::milliseconds> deadline) {
                detail::async_shutdown_erased(impl, deadline, std::move(handler));
            },
            token, deadline);
    }

    // Each operation's initiation: the request was prepared before.
    template <auto Erased>
    struct initiation {
        std::shared_ptr<detail::client_impl> impl;

        template <class Handler>
        void operator()(Handler&& handler, diagnostics* diag, detail::prepared_request request) {
            Erased(impl, diag, std::move(request), std::forward<Handler>(handler));
        }
    };

    template <class CompletionToken>
    auto initiate_chat(diagnostics* diag, const chat_request& request, const request_options& options,
                       CompletionToken&& token) {
        using signature = void(error_code, chat_completion);
        return boost::asio::async_initiate<CompletionToken, signature>(
            initiation<&detail::async_chat_erased>{impl_}, token, diag,
            detail::prepare_chat(*impl_, request, options, false));
    }

    template <class CompletionToken>
    auto initiate_chat_stream(diagnostics* diag, const chat_request& request, const request_options& options,
                              CompletionToken&& token) {
        using signature = void(error_code, chat_stream);
        return boost::asio::async_initiate<CompletionToken, signature>(
            initiation<&detail::async_chat_stream_erased>{impl_}, token, diag,
            detail::prepare_chat(*impl_, request, options, true));
    }

    template <class CompletionToken>
    auto initiate_list_models(diagnostics* diag, const request_options& options, CompletionToken&& token) {
        using signature = void(error_code, model_list);
        return boost::asio::async_initiate<CompletionToken, signature>(
            initiation<&detail::async_list_models_erased>{impl_}, token, diag,
            detail::prepare_list_models(*impl_, options));
    }

    std::shared_ptr<detail::client_impl> impl_;
};

} // namespace dgrid

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/client.ipp>
#endif

#endif
