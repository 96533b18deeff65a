#ifndef DGRID_DETAIL_STREAM_STREAM_STATE_HPP
#define DGRID_DETAIL_STREAM_STREAM_STATE_HPP

// Internal, compiled into the library only: everything a chat_stream holds.

#include <dgrid/chat_accumulator.hpp>
#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/detail/client_impl.hpp>
#include <dgrid/detail/engine/operation_fsm.hpp>
#include <dgrid/detail/http/body_framing.hpp>
#include <dgrid/detail/http/response_status.hpp>
#include <dgrid/detail/sse/sse_parser.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dgrid::detail {

// A streamed response: the request (kept to send it again while no chunk
// reached the caller), the connection it arrives on, the response header, the
// body's framing, and the SSE and chunk decoders. The SSE reader reads the
// body straight from the connection's read buffer, with no buffer between,
// and bytes are read only when the consumer asks for the next chunk and none
// is buffered.
class stream_state : public std::enable_shared_from_this<stream_state> {
public:
    // `first`: an idle connection for the first attempt, or null.
    // `observation`: the call's, when the client has an observer.
    stream_state(std::shared_ptr<client_impl> client, wire_request request, const request_limits& limits,
                 std::unique_ptr<call_observation> observation, std::unique_ptr<connection> first);
    ~stream_state();

    stream_state(const stream_state&) = delete;
    stream_state& operator=(const stream_state&) = delete;

    // Sends the request and reads the response headers, sending it again as
    // the retry policy allows: an error status or another content type
    // fails, with the body read for the diagnostics. Runs on the operation's
    // executor.
    asio::awaitable<error_code> open(diagnostics& diag);

    // After a failure while reading the body: whether the stream is sent
    // again (no part of the answer reached the caller, and the retry policy
    // allows), and if so, sends it and reads the new response's headers.
    // Fails with the error to report (the first one when none was sent).
    asio::awaitable<error_code> reopen(diagnostics& diag);

    // The response head of the stream.
    const response_reader& head() const { return fsm_.response(); }

    // Whether the stream holds its connection: from the head on, until the
    // end of the HTTP message or a failure.
    bool connected() const { return conn_ != nullptr; }

    // Calls `op` with the connection's stream (TLS or plain).
    template <class Op>
    void on_stream(Op& op) {
        conn_->on_stream(op);
    }

    // The stream's total deadline from the first request, or none.
    clock::time_point total_deadline() const { return fsm_.total_deadline(); }

    // False once part of the answer (content, reasoning, a tool call) reached
    // the caller, or once a failure was final: from then on the stream is not
    // sent again.
    bool may_retry() const { return !delivered_ && !failure_final_; }

    // What a step over the bytes already read gave.
    enum class step_result { chunk, end, need_bytes, failed };

    // Takes the next event from the bytes already read, without I/O.
    step_result step(diagnostics& diag);

    // The steps of a read of the body (next_chunk_op), on the connection's
    // strand: arm the deadline, give the space to read into (the read
    // buffer's whole capacity, free at that point: every byte read before was
    // taken, as body or framing), take the bytes read, turn a failed read
    // into the stream's failure. A close ends a body that runs up to it.
    void begin_read();
    asio::mutable_buffer read_space();
    void end_read(std::size_t bytes);
    void fail_read(error_code ec, diagnostics& diag);
    bool end_body_at_close() { return framing_.close(); }
    bool body_ends_at_close() const { return framing_.ends_at_close(); }

    // The HTTP message ended: no more bytes of this response will come.
    bool body_done() const { return framing_.done(); }

    // At the end of the body, without `data: [DONE]`: whether every choice
    // got its finish_reason, which makes the answer complete (as the official
    // SDKs take it, which end a stream where its body ends); it then ends as
    // [DONE] would have ended it.
    bool end_without_done();

    // After [DONE] the rest of the HTTP message is read within the idle
    // deadline (`skip_body` drops what came so far: false on malformed
    // framing); then the connection goes back to the pool, to serve another
    // request if `reusable`.
    void begin_drain();
    bool skip_body();
    void end_drain(bool reusable);

    // Cancels the next_chunk_op under way; one asked for while none runs
    // yet is kept for it. On the connection's strand.
    void cancel_read(asio::cancellation_type type);
    bool read_cancelled() const { return read_cancel_requested_ != asio::cancellation_type::none; }
    asio::cancellation_slot read_slot() { return read_signal_.slot(); }
    void forget_read_cancellation() { read_cancel_requested_ = asio::cancellation_type::none; }

    // The stream's own cancellation on its connection's strand, for the
    // reads once it is no longer sent again: made once, it spares every
    // async_next an allocation.
    const std::shared_ptr<op_cancellation>& canceller();

    // Whether `slot` is the canceller's, which forwards to the read already.
    bool is_canceller_slot(const asio::cancellation_slot& slot) const {
        return canceller_ && slot == canceller_->slot();
    }

    // The failure that ended the stream, with what was known about it.
    error_code failure() const { return failure_; }
    const diagnostics& failure_diagnostics() const { return failure_diag_; }

    // The strand of the connection, where its reads run; kept when the
    // connection is let go.
    const asio::any_io_executor& strand() const { return strand_; }

    bool done() const { return status_ == status::done; }

    const chat_chunk& chunk() const { return chunk_; }
    const response_info& response() const { return response_; }
    const chat_completion& completion() const { return accumulator_.completion(); }

    const asio::any_io_executor& get_executor() const { return client_->get_executor(); }
    client_impl& client() const { return *client_; }

    // Where an async_next without the caller's diagnostics writes.
    diagnostics& own_diagnostics() { return own_diagnostics_; }

    // An async_next is under way (its coroutine may be running on the
    // strand), cancelled through `cancellation`; it ends. One at a time.
    void begin_flight(std::shared_ptr<op_cancellation> cancellation) {
        flight_cancellation_ = std::move(cancellation);
        in_flight_.store(true);
    }
    void end_flight() { in_flight_.store(false); }

    // The owner let go before the end: close the connection now or, when an
    // async_next is under way, cancel it, which closes the connection and
    // sends no retry it may have been waiting for.
    void abandon();

    // Tells the observer, if any, that the stream ended with `ec` (once).
    void observe_end(error_code ec, const diagnostics* diag);

    // Ends the stream with `ec`; its connection is closed. `diag` gets the
    // attempts made so far and, if it has none, the status and request id of
    // the response under way.
    void fail(error_code ec, diagnostics& diag, const char* what);

private:
    // The body bytes at the front of the read buffer, past the framing before
    // them (taken); empty when more must be read. `ec`: malformed framing.
    std::string_view body_bytes(error_code& ec);
    // Takes the first `n` of those bytes.
    void take_body(std::size_t n);

    enum class status { streaming, done, failed };

    // The answer is complete: what waits to be merged is.
    void end_answer();

    // A chunk with part of the answer came: the first token's time, and the
    // observer's delta events.
    void note_answer_chunk();

    // When the next read must end: the stream's idle timeout after `since`,
    // within its total deadline.
    clock::time_point read_deadline(clock::time_point since) const;

    // Sends the request from `step` of the machine on, until it opened or failed.
    asio::awaitable<error_code> send(diagnostics& diag, operation_step step);

    std::unique_ptr<connection> conn_;
    asio::any_io_executor strand_;
    std::shared_ptr<client_impl> client_;
    wire_request request_;
    operation_fsm fsm_;
    diagnostics own_diagnostics_;
    std::atomic<bool> in_flight_{false};
    std::shared_ptr<op_cancellation> flight_cancellation_;
    // Where the idle deadline counts from: the first read after a data event
    // (or the headers). The clock is read there, once per read rather than
    // once per event.
    clock::time_point last_data_;
    bool data_since_read_ = false;
    bool delivered_ = false;
    bool failure_final_ = false;
    body_framing framing_ = body_framing::length(0);
    bool read_filled_ = false; // the last read filled the read buffer
    sse_parser sse_;
    chunk_decoder decoder_;
    chat_chunk chunk_;
    chat_accumulator accumulator_;
    response_info response_; // of the current response, from its head on
    std::unique_ptr<call_observation> observation_;
    std::size_t answer_chunks_ = 0; // for the observer's delta events
    status status_ = status::streaming;
    error_code failure_;
    diagnostics failure_diag_;
    std::shared_ptr<op_cancellation> canceller_;
    asio::cancellation_signal read_signal_;
    asio::cancellation_type read_cancel_requested_ = asio::cancellation_type::none;
};

} // namespace dgrid::detail

#endif
