#ifndef DGRID_DETAIL_STREAM_STATE_HPP
#define DGRID_DETAIL_STREAM_STATE_HPP

// Internal, compiled into the library only: everything a chat_stream holds.

#include <dgrid/chat_accumulator.hpp>
#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/chunk_decoder.hpp>
#include <dgrid/detail/client_impl.hpp>
#include <dgrid/detail/sse_parser.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

namespace dgrid::detail {

// A streamed response after its header: the connection it arrives on, the
// HTTP parser positioned at the body, and the SSE and chunk decoders. Bytes
// are read only when the consumer asks for the next chunk and none is buffered.
class stream_state : public std::enable_shared_from_this<stream_state> {
public:
    explicit stream_state(std::shared_ptr<client_impl> client);
    ~stream_state();

    stream_state(const stream_state&) = delete;
    stream_state& operator=(const stream_state&) = delete;

    // Filled by the request before the stream starts.
    std::optional<stream_response_parser> parser;
    std::unique_ptr<connection> conn;

    // What a step over the bytes already read gave.
    enum class step_result { chunk, end, need_bytes, failed };

    // Takes the next event from the bytes already read, without I/O.
    step_result step(diagnostics& diag);

    // Reads until the next chunk or the end. Runs on the connection's strand.
    asio::awaitable<error_code> next_with_io(diagnostics& diag, bool& has_chunk);

    // The failure that ended the stream, with what was known about it.
    error_code failure() const { return failure_; }
    const diagnostics& failure_diagnostics() const { return failure_diag_; }

    // The strand of `conn`, kept apart so that `abandon` may reach it while
    // a read under way may give the connection up.
    asio::any_io_executor conn_strand;

    bool done() const { return status_ == status::done; }

    const chat_chunk& chunk() const { return chunk_; }
    const chat_completion& completion() const { return accumulator_.completion(); }

    const asio::any_io_executor& get_executor() const { return client_->get_executor(); }

    // Where an async_next without caller's diagnostics writes.
    diagnostics scratch_diagnostics;

    // An async_next is under way (its coroutine may be running on the strand).
    std::atomic<bool> in_flight{false};

    // The owner let go before the end: close the connection, now or, when a
    // read is under way, on the strand (which makes that read fail).
    void abandon();

private:
    enum class status { streaming, done, failed };

    void fail(error_code ec, diagnostics& diag, const char* what);
    asio::awaitable<void> settle_after_done();

    std::shared_ptr<client_impl> client_;
    std::vector<char> body_;   // de-chunked body bytes read but not yet parsed
    std::size_t pending_begin_ = 0;
    std::size_t pending_end_ = 0;
    sse_parser sse_;
    chunk_decoder decoder_;
    chat_chunk chunk_;
    chat_accumulator accumulator_;
    status status_ = status::streaming;
    error_code failure_;
    diagnostics failure_diag_;
};

} // namespace dgrid::detail

#endif
