#ifndef DGRID_DETAIL_STREAM_NEXT_CHUNK_OP_HPP
#define DGRID_DETAIL_STREAM_NEXT_CHUNK_OP_HPP

// Internal, compiled into the library only: reading a stream on to its next
// chunk or its end.

#include <dgrid/detail/stream/stream_state.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/recycling_allocator.hpp>

#include <exception>
#include <memory>
#include <utility>

namespace dgrid::detail {

// Reads until the next chunk or the end of the stream, completing with
// (error_code, bool has_chunk): every async_next that needs the network.
// A composed operation on the connection's strand, written by hand rather
// than as a coroutine: a read of the socket then allocates nothing, since
// Asio recycles the memory of its handlers. Until part of the answer reached
// the caller, a failure sends the stream again (stream_state::reopen, a
// coroutine) and the read goes on from the new response.
//
// Cancellation: a slot of the handler reaches the read under way, and so
// does the stream's own canceller, which forwards to it already. While the
// stream is sent again, the handler's slot reaches the retry.
template <class Handler>
class next_chunk_op {
public:
    using executor_type = asio::any_io_executor; // the connection's strand
    using allocator_type = asio::associated_allocator_t<Handler, asio::recycling_allocator<void>>;
    using cancellation_slot_type = asio::cancellation_slot;

    // `retry_op`: when the stream may still be sent again, the handler's
    // cancellation, on whose strand a retry runs; null when the handler is
    // the stream's own canceller.
    next_chunk_op(std::shared_ptr<stream_state> state, diagnostics& diag, Handler handler,
                  std::shared_ptr<op_cancellation> retry_op)
        : state_(std::move(state)), diag_(&diag), handler_(std::move(handler)), retry_op_(std::move(retry_op)) {}

    executor_type get_executor() const noexcept { return retrying_ ? retry_op_->strand() : state_->strand(); }
    allocator_type get_allocator() const noexcept {
        return asio::get_associated_allocator(handler_, asio::recycling_allocator<void>());
    }
    cancellation_slot_type get_cancellation_slot() const noexcept {
        return retrying_ ? asio::get_associated_cancellation_slot(handler_) : state_->read_slot();
    }

    void start() {
        if (!retry_op_)
            return attach();
        asio::post(retry_op_->strand(), std::move(*this)); // attached there
    }

    void operator()() {
        if (!attached_)
            return attach();
        advance();
    }

    // The stream was sent again, or not (its error, final): on the retry's
    // strand. A cancellation that came after the retry's last look, while
    // no read listened, is honoured here.
    void operator()(std::exception_ptr ex, error_code ec) {
        retrying_ = false;
        if (ex)
            ec = error_from_exception(ex);
        if (!ec && retry_op_->requested()) {
            ec = asio::error::operation_aborted;
            state_->fail(ec, *diag_, "cancelled");
        }
        if (ec)
            return finish(ec, false);
        attached_ = false;
        attach(); // to the new connection
    }

    // A read of the body completed.
    void operator()(error_code ec, std::size_t bytes) {
        auto& state = *state_;
        state.end_read(bytes);
        if (ec == asio::error::eof && state.end_body_at_close())
            ec = {};
        if (draining_) {
            if (ec) {
                state.end_drain(false);
                return finish(error_code(), false);
            }
            return drain();
        }
        if (ec) {
            state.fail_read(ec, *diag_);
            return failed();
        }
        advance();
    }

private:
    // Body bytes read after [DONE] while waiting for the end of the HTTP
    // message, beyond which the connection is closed rather than drained.
    static constexpr std::size_t max_drain_reads = 8;

    // Where the handler's cancellation is emitted (`retry_op`'s strand, or the
    // stream's strand for its canceller): it is carried over to the
    // connection's strand, where the read runs, and the read starts there.
    void attach() {
        attached_ = true;
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected() && !state_->is_canceller_slot(slot))
            slot.assign(
                [state = std::weak_ptr<stream_state>(state_), strand = state_->strand()](asio::cancellation_type type) {
                    asio::dispatch(strand, [state, type] {
                        if (auto live = state.lock())
                            live->cancel_read(type);
                    });
                });
        asio::post(state_->strand(), std::move(*this));
    }

    // The stream failed: sent again while it may be, else the failure is the
    // caller's.
    void failed() {
        if (!retry_op_ || !state_->may_retry())
            return finish(state_->failure(), false);
        retrying_ = true;
        auto reopening = state_->reopen(*diag_);
        const auto strand = retry_op_->strand();
        asio::co_spawn(strand, std::move(reopening), std::move(*this));
    }

    void advance() {
        auto& state = *state_;
        switch (state.step(*diag_)) {
        case stream_state::step_result::chunk: return finish(error_code(), true);
        case stream_state::step_result::failed: *diag_ = state.failure_diagnostics(); return failed();
        case stream_state::step_result::end:
            if (!state.connected())
                return finish(error_code(), false);
            draining_ = true;
            state.begin_drain();
            return drain();
        case stream_state::step_result::need_bytes: break;
        }
        if (state.body_done()) {
            if (state.end_without_done()) {
                draining_ = true; // nothing is left to drain: the connection goes back
                return drain();
            }
            state.fail(error::stream_truncated, *diag_, "the stream ended before every choice finished");
            return failed();
        }
        if (state.read_cancelled()) {
            state.fail(asio::error::operation_aborted, *diag_, "cancelled");
            return failed();
        }
        state.begin_read();
        read();
    }

    // After [DONE]: reads on to the end of the HTTP message, then lets the
    // connection go. The answer is complete whatever happens to it. A body
    // that runs up to the close leaves nothing to reuse.
    void drain() {
        auto& state = *state_;
        if (!state.skip_body() || state.body_ends_at_close()) {
            state.end_drain(false);
            return finish(error_code(), false);
        }
        bool done = state.body_done();
        if (done || drain_reads_++ == max_drain_reads) {
            state.end_drain(done && state.head().keep_alive());
            return finish(error_code(), false);
        }
        read();
    }

    void read() {
        auto& state = *state_;
        const asio::mutable_buffer space = state.read_space();
        auto read_some = [&](auto& stream) { stream.async_read_some(space, std::move(*this)); };
        state.on_stream(read_some);
    }

    void finish(error_code ec, bool has_chunk) {
        auto state = std::move(state_);
        state->forget_read_cancellation();
        state->end_flight();
        auto ex = asio::get_associated_executor(handler_, state->strand());
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (!slot.is_connected() || state->is_canceller_slot(slot))
            return asio::dispatch(ex, asio::append(std::move(handler_), ec, has_chunk));
        // The slot is let go on the handler's executor, where its signal emits.
        asio::dispatch(ex, [slot, handler = std::move(handler_), ec, has_chunk]() mutable {
            slot.clear();
            std::move(handler)(ec, has_chunk);
        });
    }

    std::shared_ptr<stream_state> state_;
    diagnostics* diag_;
    Handler handler_;
    std::shared_ptr<op_cancellation> retry_op_;
    bool attached_ = false;
    bool retrying_ = false;
    bool draining_ = false;
    std::size_t drain_reads_ = 0;
};

// Starts a next_chunk_op. `diag` must outlive it.
template <class Token>
auto async_next_chunk(std::shared_ptr<stream_state> state, diagnostics& diag, std::shared_ptr<op_cancellation> retry_op,
                      Token&& token) {
    return asio::async_initiate<Token, void(error_code, bool)>(
        [](auto handler, std::shared_ptr<stream_state> state, diagnostics* diag,
           std::shared_ptr<op_cancellation> retry_op) {
            using op = next_chunk_op<std::decay_t<decltype(handler)>>;
            op(std::move(state), *diag, std::move(handler), std::move(retry_op)).start();
        },
        token, std::move(state), &diag, std::move(retry_op));
}

} // namespace dgrid::detail

#endif
