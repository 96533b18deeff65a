#ifndef DGRID_CHAT_STREAM_HPP
#define DGRID_CHAT_STREAM_HPP

#include <dgrid/chat_chunk.hpp>
#include <dgrid/chat_completion.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/response_info.hpp>
#include <dgrid/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/consign.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <type_traits>

namespace dgrid {
namespace detail {

class stream_state;

using next_handler = boost::asio::any_completion_handler<void(error_code, bool)>;

// Reads from the network; called when try_next_buffered found nothing to hand over.
DGRID_DECL void async_next_erased(const std::shared_ptr<stream_state>& state, diagnostics* diag, next_handler handler);

// Takes the next chunk, the end or the final failure from what was already
// read, without I/O; false when the network is needed.
DGRID_DECL bool try_next_buffered(const std::shared_ptr<stream_state>& state, diagnostics* diag, error_code& ec,
                                  bool& has_chunk);

DGRID_DECL boost::asio::any_io_executor stream_executor(const std::shared_ptr<stream_state>& state);

// How many coroutines are being resumed, one inside the other, by async_next
// calls on this thread: each resumption in place nests on the stack.
DGRID_DECL unsigned& nested_resumptions() noexcept;

// Tokens whose handler resumes a coroutine that is suspended while the
// operation starts (use_awaitable, also under as_tuple, redirect_error and
// with_diagnostics). Calling such a handler before the initiation returns is
// what `co_await asio::dispatch(...)` does: the coroutine sees no difference.
template <class Token>
struct resumes_coroutine : std::false_type {};
template <class Executor>
struct resumes_coroutine<boost::asio::use_awaitable_t<Executor>> : std::true_type {};
template <class Token>
struct resumes_coroutine<boost::asio::as_tuple_t<Token>> : resumes_coroutine<Token> {};
template <class Token>
struct resumes_coroutine<boost::asio::redirect_error_t<Token>> : resumes_coroutine<Token> {};
template <class Token>
struct resumes_coroutine<with_diagnostics_t<Token>> : resumes_coroutine<Token> {};

// Where an async_next without the caller's diagnostics writes; null for an
// empty stream.
DGRID_DECL diagnostics* stream_diagnostics(const std::shared_ptr<stream_state>& state) noexcept;

} // namespace detail

/// A streamed chat completion, pulled one chunk at a time:
///
///     auto stream = co_await client.async_chat_stream(request);
///     while (co_await stream.async_next())
///         std::cout << stream.chunk().text();
///     chat_completion answer = stream.completion();
///
/// Nothing is read ahead of the consumer: the connection is read only inside
/// `async_next`, so a slow consumer slows the server down (TCP flow control)
/// instead of piling up memory.
///
/// Destroying a stream before its end closes its connection (it is never
/// returned to the pool half read); after `[DONE]` the connection goes back
/// to the pool by itself. An `async_next` under way then completes with
/// `operation_aborted`, and a retry it was waiting to make is not sent.
///
/// Thread safety: one `async_next` at a time; distinct streams are independent.
class chat_stream {
public:
    /// The executor type of the default completion token.
    using executor_type = boost::asio::any_io_executor;
    /// The default completion token, `with_diagnostics(asio::use_awaitable)`: a failure
    /// throws `error_with_diagnostics`.
    using default_token = with_diagnostics_t<boost::asio::use_awaitable_t<executor_type>>;

    /// An empty stream; `valid()` is false.
    chat_stream() = default;

    /// Used by the client; the state is the library's.
    explicit chat_stream(std::shared_ptr<detail::stream_state> state) noexcept : state_(std::move(state)) {}

    /// Takes over `other`'s stream; `other` is left empty.
    chat_stream(chat_stream&&) noexcept = default;
    /// Lets go of this stream as the destructor does, then takes over `other`'s;
    /// `other` is left empty.
    DGRID_DECL chat_stream& operator=(chat_stream&& other) noexcept;
    chat_stream(const chat_stream&) = delete;
    chat_stream& operator=(const chat_stream&) = delete;

    DGRID_DECL ~chat_stream();

    /// Reads the next chunk: completes with true and the chunk in `chunk()`,
    /// or with false at the end of the stream: `data: [DONE]`, or a body that
    /// ends cleanly once every choice got its `finish_reason` (servers that
    /// send no `[DONE]`). A body that ends before that fails with
    /// `error::stream_truncated`; an error object sent mid-stream fails with
    /// `error::stream_error` and what it said in the diagnostics (choices sent
    /// beside it, such as `finish_reason: "error"`, are merged into
    /// `completion()` first). Diagnostics of a failure carry the response's
    /// status and request id and count every request sent for the stream.
    /// After a failure every call fails the same way.
    ///
    /// Handler signature: `void(error_code, bool)`.
    /// A chunk already read completes through the handler's executor, except
    /// for a coroutine awaiting with `use_awaitable` on an io_context: it is
    /// resumed at once, as `co_await asio::dispatch(...)` would be, up to 32
    /// times in a row (`max_nested_resumptions`) before a pass through the
    /// executor's queue.
    /// Deadlines: `timeouts.stream_idle` between data events (keep-alive
    /// comments do not count) and `timeouts.stream_total`.
    /// Retries: until content, reasoning or a tool call reached the caller, a
    /// failure sends the request again as `client_options::retry` allows and
    /// the stream goes on from the new response; after that it fails.
    /// Cancellation: terminal, through the handler's slot,
    /// and `client::cancel()`; the connection is closed and the stream fails
    /// with `asio::error::operation_aborted`.
    template <class CompletionToken = default_token>
    auto async_next(diagnostics& diag, CompletionToken&& token = {}) {
        return initiate_next(&diag, std::forward<CompletionToken>(token));
    }

    /// As above, without diagnostics for plain tokens.
    template <class CompletionToken = default_token>
    auto async_next(CompletionToken&& token = {}) {
        return initiate_next(nullptr, std::forward<CompletionToken>(token));
    }

    /// The chunk the last successful `async_next` read; it is overwritten by
    /// the next one (its memory is reused).
    DGRID_DECL const chat_chunk& chunk() const noexcept;

    /// The chunks read so far merged into one completion: the whole answer
    /// after the end, the partial one after a failure.
    DGRID_DECL const chat_completion& completion() const noexcept;

    /// The HTTP response the stream is read from: status, request id,
    /// attempts, rate limits, and timings (`time_to_first_token` from the
    /// first chunk with part of the answer, `total` from the end).
    DGRID_DECL const response_info& response() const noexcept;

    /// True once `[DONE]` was read.
    DGRID_DECL bool done() const noexcept;

    /// False for an empty stream (built by default or moved from).
    bool valid() const noexcept { return state_ != nullptr; }

private:
    // Coroutines waiting for a chunk already read are resumed in place this
    // many times in a row at most; then the next goes through the executor's
    // queue, which unwinds the stack. Enough for the chunks of one read
    // (8 KiB) of a typical stream: a chunk left for the queue is decoded
    // after the other streams' reads, when its bytes have left the cache.
    static constexpr unsigned max_nested_resumptions = 32;

    template <bool ResumesCoroutine>
    struct next_initiation {
        std::shared_ptr<detail::stream_state> state;

        // One async_next runs at a time: the stream's own diagnostics serve
        // each call that brought none.
        diagnostics* lent_diagnostics() const noexcept { return detail::stream_diagnostics(state); }

        template <class Handler>
        void operator()(Handler&& handler, diagnostics* diag) {
            // Most chunks were read with an earlier one: they are handed over
            // with the handler's own type, without type erasure or a coroutine.
            error_code ec;
            bool has_chunk = false;
            if (detail::try_next_buffered(state, diag, ec, has_chunk))
                return hand_over(std::forward<Handler>(handler), ec, has_chunk);
            // Type erasure puts an executor that does not fit its small buffer
            // on the heap, as any_io_executor does, at every read; the
            // io_context executor inside it fits.
            using executor = boost::asio::associated_executor_t<std::decay_t<Handler>, boost::asio::any_io_executor>;
            if constexpr (std::is_same_v<executor, boost::asio::any_io_executor>) {
                if (state) {
                    auto ex = boost::asio::get_associated_executor(handler, detail::stream_executor(state));
                    if (const auto* io = ex.template target<boost::asio::io_context::executor_type>())
                        return detail::async_next_erased(
                            state, diag, boost::asio::bind_executor(*io, std::forward<Handler>(handler)));
                }
            }
            detail::async_next_erased(state, diag, std::forward<Handler>(handler));
        }

        // Completes with what was already read, on the handler's executor
        // (the stream's when it has none).
        template <class Handler>
        void hand_over(Handler&& handler, error_code ec, bool has_chunk) {
            auto ex = handler_executor(handler);
            // An io_context's executor inside an any_io_executor is used
            // directly, without the type-erased requirements.
            const boost::asio::io_context::executor_type* io = nullptr;
            if constexpr (std::is_same_v<decltype(ex), boost::asio::any_io_executor>)
                io = ex.template target<boost::asio::io_context::executor_type>();
            if constexpr (ResumesCoroutine) {
                // The coroutine runs on this thread: resumed here, it skips
                // the queue and its locks. `state` outlives the call.
                unsigned& nesting = detail::nested_resumptions();
                if (io && nesting < max_nested_resumptions && io->running_in_this_thread()) {
                    struct unnest {
                        unsigned& n;
                        ~unnest() { --n; }
                    } guard{++nesting};
                    return std::forward<Handler>(handler)(ec, has_chunk);
                }
            }
            auto completion = boost::asio::append(std::forward<Handler>(handler), ec, has_chunk);
            if (!ec && io)
                return boost::asio::post(boost::asio::bind_executor(*io, std::move(completion)));
            if (!ec)
                return boost::asio::post(boost::asio::bind_executor(ex, std::move(completion)));
            // The failure's diagnostics may be the stream's own: it must
            // outlive the completion even if the stream is dropped first.
            boost::asio::post(ex, boost::asio::consign(std::move(completion), state));
        }

        // The stream's executor is made only for a handler without one of its own.
        template <class Handler>
        auto handler_executor(const Handler& handler) const {
            if constexpr (std::is_same_v<boost::asio::associated_executor_t<Handler>, boost::asio::system_executor>)
                return boost::asio::get_associated_executor(handler, detail::stream_executor(state));
            else
                return boost::asio::get_associated_executor(handler);
        }
    };

    template <class CompletionToken>
    auto initiate_next(diagnostics* diag, CompletionToken&& token) {
        using initiation = next_initiation<detail::resumes_coroutine<std::decay_t<CompletionToken>>::value>;
        return boost::asio::async_initiate<CompletionToken, void(error_code, bool)>(initiation{state_}, token, diag);
    }

    std::shared_ptr<detail::stream_state> state_;
};

} // namespace dgrid

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/chat_stream.ipp>
#endif

#endif
