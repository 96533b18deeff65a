#ifndef DGRID_DETAIL_ENGINE_CALL_OBSERVATION_HPP
#define DGRID_DETAIL_ENGINE_CALL_OBSERVATION_HPP

// Internal: the events of one call for the client's observer, made only when
// there is one (without, a call holds a null observation and tests it once
// per event).

#include <dgrid/observer.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace dgrid::detail {

// How a connection came to be, for its first request's observer.
struct connection_opening {
    bool tls_resumed = false;
    std::chrono::steady_clock::duration connect_time{};
    std::chrono::steady_clock::duration handshake_time{};
};

class call_observation {
public:
    using clock = std::chrono::steady_clock;

    // `target` is not null.
    call_observation(observer* target, std::uint64_t id, call_kind kind, std::string model, clock::time_point start)
        : target_(target), id_(id), kind_(kind), model_(std::move(model)), start_(start) {}

    void attempt(unsigned attempt, clock::time_point now) const {
        attempt_event e = with_base<attempt_event>(now);
        e.attempt = attempt;
        target_->on_attempt(e);
    }

    void connection(unsigned attempt, bool reused, const connection_opening& opening, clock::time_point now) const {
        connection_event e = with_base<connection_event>(now);
        e.attempt = attempt;
        e.reused = reused;
        if (!reused) {
            e.tls_resumed = opening.tls_resumed;
            e.connect_time = opening.connect_time;
            e.handshake_time = opening.handshake_time;
        }
        target_->on_connection(e);
    }

    void head(unsigned attempt, unsigned status, std::string_view request_id, clock::time_point now) const {
        response_head_event e = with_base<response_head_event>(now);
        e.attempt = attempt;
        e.http_status = status;
        e.request_id = request_id;
        target_->on_response_head(e);
    }

    void retry(unsigned attempt, error_code reason, std::chrono::milliseconds delay, clock::time_point now) const {
        retry_event e = with_base<retry_event>(now);
        e.attempt = attempt;
        e.reason = reason;
        e.delay = delay;
        target_->on_retry(e);
    }

    // A chunk with part of the answer, the `index`th: the first token, and
    // each one for an observer that wants deltas.
    void delta(std::size_t index, std::size_t text_size, clock::time_point now) const {
        delta_event e = with_base<delta_event>(now);
        e.index = index;
        e.text_size = text_size;
        if (index == 0)
            target_->on_first_token(e);
        if (wants_deltas_)
            target_->on_delta(e);
    }

    // Whether `delta` is worth calling for every chunk, not only the first.
    bool wants_deltas() const noexcept { return wants_deltas_; }
    void ask_about_deltas() { wants_deltas_ = target_->wants_deltas(); }

    // The call's end; only the first one counts.
    void end(error_code ec, unsigned attempts, const diagnostics* diag, const std::optional<usage>* usage,
             clock::time_point now) {
        if (ended_)
            return;
        ended_ = true;
        end_event e = with_base<end_event>(now);
        e.ec = ec;
        e.attempts = attempts;
        e.diag = ec ? diag : nullptr;
        e.usage = usage;
        target_->on_end(e);
    }

private:
    template <class Event>
    Event with_base(clock::time_point now) const {
        Event e;
        e.id = id_;
        e.kind = kind_;
        e.model = model_;
        e.elapsed = now - start_;
        return e;
    }

    observer* target_; // the client's, which outlives its calls
    std::uint64_t id_ = 0;
    call_kind kind_ = call_kind::chat;
    std::string model_;
    clock::time_point start_;
    bool wants_deltas_ = false;
    bool ended_ = false;
};

} // namespace dgrid::detail

#endif
