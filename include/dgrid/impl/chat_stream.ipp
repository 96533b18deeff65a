#ifndef DGRID_IMPL_CHAT_STREAM_IPP
#define DGRID_IMPL_CHAT_STREAM_IPP

#include <dgrid/chat_stream.hpp>
#include <dgrid/detail/deliver_outcome.hpp>
#include <dgrid/detail/stream_state.hpp>
#include <dgrid/json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/system_executor.hpp>

namespace dgrid {
namespace detail {

// Body bytes taken from the HTTP parser per read: small, since events are
// assembled by the SSE parser and the socket buffer holds the rest.
constexpr std::size_t stream_read_size = 8192;

// Body bytes read after [DONE] while waiting for the end of the HTTP message,
// beyond which the connection is closed rather than drained.
constexpr std::size_t max_drain_reads = 8;

inline stream_state::stream_state(std::shared_ptr<client_impl> client)
    : client_(std::move(client)), body_(stream_read_size), sse_(client_->options().max_event_size) {}

inline stream_state::~stream_state() {
    if (conn)
        client_->pool().release(std::move(conn), false);
}

inline void stream_state::abandon() {
    if (in_flight.load()) {
        asio::dispatch(conn_strand, [self = shared_from_this()] {
            if (self->conn) {
                error_code ignored;
                self->conn->tcp().socket().close(ignored);
            }
        });
        return;
    }
    if (conn)
        client_->pool().release(std::move(conn), false);
}

inline void stream_state::fail(error_code ec, diagnostics& diag, const char* what) {
    status_ = status::failed;
    failure_ = ec;
    if (diag.message.empty())
        diag.message = what;
    failure_diag_ = diag;
    if (conn)
        client_->pool().release(std::move(conn), false);
}

inline stream_state::step_result stream_state::step(diagnostics& diag) {
    if (status_ == status::failed)
        return step_result::failed;
    if (status_ == status::done)
        return step_result::end;
    while (pending_begin_ < pending_end_) {
        error_code ec;
        std::string_view pending(body_.data() + pending_begin_, pending_end_ - pending_begin_);
        pending_begin_ += sse_.parse(pending, ec);
        if (ec) {
            fail(ec, diag, "a server-sent event exceeds client_options::max_event_size");
            return step_result::failed;
        }
        if (!sse_.has_event())
            continue;
        sse_event event = sse_.event();
        if (event.data == "[DONE]") {
            status_ = status::done;
            return step_result::end;
        }
        if (event.type == "error") {
            read_error_body(event.data, diag);
            fail(error::stream_error, diag, "the gateway sent an error event");
            return step_result::failed;
        }
        ec = decoder_.decode(event.data, chunk_, diag);
        if (ec) {
            fail(ec, diag, "an event of the stream cannot be decoded");
            return step_result::failed;
        }
        accumulator_.add(chunk_);
        return step_result::chunk;
    }
    return step_result::need_bytes;
}

// After [DONE] only the end of the HTTP message is left (usually the last
// chunk of the chunked encoding): read it, so that the connection can serve
// another request, unless more than a little is left.
inline asio::awaitable<void> stream_state::settle_after_done() {
    error_code ec;
    for (std::size_t reads = 0; !ec && !parser->is_done() && reads < max_drain_reads; ++reads) {
        auto& body = parser->get().body();
        body.data = body_.data();
        body.size = body_.size();
        ec = co_await read_some_body(*conn, *parser);
    }
    bool reusable = !ec && parser->is_done() && parser->get().keep_alive();
    client_->pool().release(std::move(conn), reusable);
}

inline asio::awaitable<error_code> stream_state::next_with_io(diagnostics& diag, bool& has_chunk) {
    has_chunk = false;
    for (;;) {
        step_result result = step(diag);
        if (result == step_result::chunk) {
            has_chunk = true;
            co_return error_code();
        }
        if (result == step_result::failed)
            co_return failure_;
        if (result == step_result::end) {
            if (conn)
                co_await settle_after_done();
            co_return error_code();
        }
        if (parser->is_done()) {
            fail(error::stream_truncated, diag, "the stream ended without data: [DONE]");
            co_return failure_;
        }
        auto& body = parser->get().body();
        body.data = body_.data();
        body.size = body_.size();
        error_code ec = co_await read_some_body(*conn, *parser);
        pending_begin_ = 0;
        pending_end_ = body_.size() - body.size;
        if (ec) {
            bool cut = ec == http::error::partial_message || ec == http::error::end_of_stream ||
                       ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
            if (cut) {
                fail(error::stream_truncated, diag, "the connection closed before data: [DONE]");
            } else {
                std::string what = "reading the stream failed: " + ec.message();
                fail(ec, diag, what.c_str());
            }
            co_return failure_;
        }
    }
}

// Runs one async_next on the connection's strand.
inline asio::awaitable<outcome<bool>> run_next(std::shared_ptr<stream_state> state, diagnostics* diag) {
    outcome<bool> result;
    result.ec = co_await state->next_with_io(*diag, result.value);
    state->in_flight.store(false);
    co_return result;
}

template <class... Values>
void post_completion(const std::shared_ptr<stream_state>& state, next_handler handler, Values... values) {
    asio::post(state->get_executor(), asio::append(std::move(handler), values...));
}

DGRID_DECL void async_next_erased(const std::shared_ptr<stream_state>& state, diagnostics* diag,
                                  next_handler handler) {
    if (!state) {
        if (diag)
            diag->message = "async_next on an empty chat_stream";
        auto ec = make_error_code(boost::system::errc::invalid_argument);
        asio::post(asio::system_executor(), asio::append(std::move(handler), ec, false));
        return;
    }
    diagnostics* out = diag ? diag : &state->scratch_diagnostics;
    out->clear();
    // Most chunks are already buffered: serve them without a coroutine.
    switch (state->step(*out)) {
    case stream_state::step_result::chunk:
        return post_completion(state, std::move(handler), error_code(), true);
    case stream_state::step_result::failed:
        *out = state->failure_diagnostics();
        return post_completion(state, std::move(handler), state->failure(), false);
    case stream_state::step_result::end:
        if (!state->conn)
            return post_completion(state, std::move(handler), error_code(), false);
        break;
    case stream_state::step_result::need_bytes:
        break;
    }
    state->in_flight.store(true);
    asio::co_spawn(state->conn_strand, run_next(state, out),
                   deliver_outcome<bool>(std::move(handler), state->get_executor()));
}

} // namespace detail

DGRID_DECL chat_stream& chat_stream::operator=(chat_stream&& other) noexcept {
    if (this != &other) {
        if (state_)
            state_->abandon();
        state_ = std::move(other.state_);
    }
    return *this;
}

DGRID_DECL chat_stream::~chat_stream() {
    if (state_)
        state_->abandon();
}

DGRID_DECL const chat_chunk& chat_stream::chunk() const noexcept { return state_->chunk(); }

DGRID_DECL const chat_completion& chat_stream::completion() const noexcept { return state_->completion(); }

DGRID_DECL bool chat_stream::done() const noexcept { return state_ && state_->done(); }

} // namespace dgrid

#endif
