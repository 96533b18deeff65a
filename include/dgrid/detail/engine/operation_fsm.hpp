#ifndef DGRID_DETAIL_ENGINE_OPERATION_FSM_HPP
#define DGRID_DETAIL_ENGINE_OPERATION_FSM_HPP

// Internal, sans-io: the life of one request (a call, or the opening of a
// stream) as a state machine. It owns the decisions (which connection, which
// deadline, when an attempt failed, whether and when it is sent again, which
// error the caller sees) and no I/O: a driver (request_driver.hpp) carries
// out the steps it asks for and feeds back how each ended.

#include <dgrid/client_options.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/detail/engine/call_observation.hpp>
#include <dgrid/detail/engine/request_limits.hpp>
#include <dgrid/detail/engine/retry_rules.hpp>
#include <dgrid/detail/http/response_metadata.hpp>
#include <dgrid/detail/http/response_reader.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>

#include <chrono>
#include <optional>

namespace dgrid::detail {

using clock = std::chrono::steady_clock;

// The deadline `budget` after `now`, or none (`time_point::max()`) for zero.
inline clock::time_point deadline_after(std::chrono::milliseconds budget, clock::time_point now = clock::now()) {
    return budget.count() > 0 ? now + budget : clock::time_point::max();
}

// Where an operation was when a transport error or a deadline hit it.
enum class operation_phase {
    connect,     // resolving, connecting, the TLS handshake
    headers,     // writing the request, reading the response headers
    body,        // reading the rest of a response
    stream_read, // reading a stream's events
};

// The error the caller sees for `ec`, a failure in `phase` at `now`: the one
// place where a deadline becomes its error code. A timeout names its phase,
// or `total_timeout` once `total_deadline` passed; an abort after that
// deadline is its timer's doing (it cancels the operation) and is a timeout
// too. Beast's limits become the library's errors; a stream cut short is
// `stream_truncated`.
DGRID_DECL error_code operation_error(error_code ec, operation_phase phase, clock::time_point now,
                                      clock::time_point total_deadline) noexcept;

// What the driver does next.
enum class operation_step {
    acquire,     // get a connection: the one held, else the pool's (a new one if `fresh()`)
    write,       // write the request, by `deadline()`
    read_header, // read the response head into `response()`, by `deadline()`
    read_body,   // read the rest of the response into `response()`, by `deadline()`
    release,     // give the connection back to the pool (kept if `reusable()`), then resume
    interpret,   // the whole response is in: check it, resume with the error it holds
    wait,        // wait `delay()` before the next attempt
    done,        // complete with `error()`; a stream that opened keeps its connection
};

// How a step ended.
struct operation_event {
    error_code ec;
    clock::time_point now;
    bool cancelled = false; // the operation was asked to stop
    bool reused = false;    // after `acquire`: the connection served requests before
    // After `acquire` of a new connection: how it was opened (for an observer).
    const connection_opening* opening = nullptr;
};

// What the request is.
enum class operation_kind {
    call,   // a whole response is read
    stream, // the head only: a stream's body is read by the stream, event by event
};

class operation_fsm {
public:
    // `limits`: the request's deadlines and retries; `total_deadline` the
    // operation's, from `limits.total`. `options` and `budget` are the
    // client's and outlive the machine; `random01` draws the backoff's jitter
    // in [0, 1) (a thread-local generator by default).
    DGRID_DECL operation_fsm(operation_kind kind, const client_options& options, const request_limits& limits,
                             retry_budget& budget, clock::time_point total_deadline, double (*random01)() = nullptr);

    // Reports the attempts, connections, response heads and retries to
    // `observation` (an observed call's; it outlives the machine).
    void observe(call_observation* observation) noexcept { observation_ = observation; }

    // The next step, given how the last one ended (the first call's event
    // only carries the time). What the attempts learn goes to `diag`, the
    // operation's diagnostics (a stream's may change from one read to the next).
    DGRID_DECL operation_step resume(const operation_event& event, diagnostics& diag);

    // A stream that opened failed while reading its body with `ec` (already
    // the caller's error: operation_error), its connection closed. It is sent
    // again if the policy allows (the caller makes sure that no part of the
    // answer reached its caller): the step is then `wait`, and resume goes
    // on from there; else `done` with the error.
    DGRID_DECL operation_step stream_failed(error_code ec, clock::time_point now, diagnostics& diag);

    // The parameters of the current step.
    bool fresh() const noexcept { return fresh_; }
    clock::time_point deadline() const noexcept { return deadline_; }
    bool reusable() const noexcept { return reusable_; }
    std::chrono::milliseconds delay() const noexcept { return delay_; }
    error_code error() const noexcept { return ec_; }

    // The response of the attempt under way.
    response_reader& response() noexcept { return *response_; }
    const response_reader& response() const noexcept { return *response_; }

    clock::time_point total_deadline() const noexcept { return total_deadline_; }
    // When the operation started.
    clock::time_point started_at() const noexcept { return started_at_; }

    // What the response that answered said (read_response_info), with the
    // attempts and the time to its head.
    DGRID_DECL void describe_response(response_info& info) const;
    const request_limits& limits() const noexcept { return limits_; }

    operation_kind kind() const noexcept { return kind_; }

    // Requests sent so far (each also counted in the diagnostics' `attempts`),
    // and the retries decided.
    unsigned attempts() const noexcept { return attempts_; }
    unsigned retries() const noexcept { return retries_; }

private:
    enum class state {
        start,
        acquiring,
        writing,
        reading_header,
        reading_body,
        reading_error_body,
        releasing_answered, // the response was read whole: interpret it next
        interpreting,
        releasing_stale,  // the connection was lost while idle: a new one next
        releasing_failed, // the attempt failed: decide on a retry next
        waiting,
        opened,
        finished,
    };

    operation_step acquire(bool fresh, clock::time_point now);
    operation_step attempt_failed(error_code ec, operation_phase phase, const operation_event& event,
                                  diagnostics& diag);
    operation_step release(bool reusable, state next);
    operation_step decide(error_code ec, clock::time_point now, diagnostics& diag);
    operation_step finish(error_code ec);

    operation_kind kind_;
    const client_options& options_;
    request_limits limits_;
    call_observation* observation_ = nullptr; // null when nobody observes
    retry_budget& budget_;
    double (*random01_)();
    clock::time_point total_deadline_;
    state state_ = state::start;
    std::optional<response_reader> response_;
    unsigned attempts_ = 0;
    unsigned retries_ = 0;
    bool reused_ = false;
    bool fresh_ = false;
    bool reusable_ = false;
    clock::time_point deadline_ = clock::time_point::max();
    clock::time_point started_at_;
    clock::time_point headers_at_;
    std::chrono::milliseconds delay_{};
    error_code ec_;
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/engine/operation_fsm.ipp>
#endif

#endif
