#ifndef DGRID_DETAIL_OP_CANCELLATION_HPP
#define DGRID_DETAIL_OP_CANCELLATION_HPP

// Internal, compiled into the library only: how one operation is cancelled,
// by its caller's cancellation slot or by client::cancel().

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace dgrid::detail {

namespace asio = boost::asio;

// A new strand over `ex`, as an any_io_executor. Over the io_context's own
// executor type when `ex` is one: Asio 1.81's strand asks its inner executor
// on every execute whether it may block, and an any_io_executor answers that
// query with a heap allocation (the answer's type is a class).
inline asio::any_io_executor make_strand_over(const asio::any_io_executor& ex) {
    if (const auto* io = ex.target<asio::io_context::executor_type>())
        return asio::make_strand(*io);
    return asio::make_strand(ex);
}

// Where one operation or one connection runs: a strand of its own when the
// client is thread-safe (client_options::thread_safe), else the client's
// executor itself.
inline asio::any_io_executor executor_for_one(const asio::any_io_executor& ex, bool thread_safe) {
    return thread_safe ? make_strand_over(ex) : ex;
}

class op_registry;

// The signal an operation's coroutine listens to. Requests may come from any
// thread; they are emitted on the operation's strand, where its coroutine runs.
class op_cancellation : public std::enable_shared_from_this<op_cancellation> {
public:
    using strand_type = asio::any_io_executor; // executor_for_one

    explicit op_cancellation(strand_type strand) : strand_(std::move(strand)) {}

    const strand_type& strand() const { return strand_; }
    asio::cancellation_slot slot() { return signal_.slot(); }

    void request(asio::cancellation_type type) {
        asio::dispatch(strand_, [self = shared_from_this(), type] {
            self->requested_ = true;
            self->signal_.emit(type);
        });
    }

    // Whether cancellation was asked for, also while nothing listened to the
    // signal. On the strand.
    bool requested() const { return requested_; }

private:
    friend class op_registry;

    strand_type strand_;
    asio::cancellation_signal signal_;
    bool requested_ = false;
    // Links of the registry's list, under its mutex: entering and leaving it
    // allocates nothing, which matters for a stream's every read.
    op_cancellation* prev_ = nullptr;
    op_cancellation* next_ = nullptr;
};

// True when the running coroutine was asked to stop; `state` is its
// `co_await asio::this_coro::cancellation_state` (awaited without a coroutine
// frame of its own). A request that arrives while no operation is pending is
// only recorded, so steps check it before starting new I/O.
inline bool stop_requested(const asio::cancellation_state& state) noexcept {
    return state.cancelled() != asio::cancellation_type::none;
}

// The operations of one client under way, for client::cancel(). Each entry
// stays alive while registered: it is removed before its owner lets it go.
class op_registry {
public:
    void add(op_cancellation& op) {
        std::lock_guard lock(mutex_);
        op.prev_ = nullptr;
        op.next_ = head_;
        if (head_)
            head_->prev_ = &op;
        head_ = &op;
    }

    void remove(op_cancellation& op) {
        std::unique_lock lock(mutex_);
        (op.prev_ ? op.prev_->next_ : head_) = op.next_;
        if (op.next_)
            op.next_->prev_ = op.prev_;
        op.prev_ = op.next_ = nullptr;
        if (!head_ && on_empty_) {
            auto watch = std::move(on_empty_);
            on_empty_ = nullptr;
            lock.unlock();
            watch();
        }
    }

    // Calls `watch` once no operation is registered: now, or when the last
    // one leaves (on that operation's thread).
    void on_empty(std::function<void()> watch) {
        std::unique_lock lock(mutex_);
        if (head_) {
            on_empty_ = std::move(watch);
            return;
        }
        lock.unlock();
        watch();
    }

    void cancel_all() {
        std::vector<std::shared_ptr<op_cancellation>> live;
        {
            std::lock_guard lock(mutex_);
            for (op_cancellation* op = head_; op; op = op->next_)
                live.push_back(op->shared_from_this());
        }
        for (auto& op : live)
            op->request(asio::cancellation_type::terminal);
    }

private:
    std::mutex mutex_;
    op_cancellation* head_ = nullptr;
    std::function<void()> on_empty_; // a client's shutdown waiting
};

} // namespace dgrid::detail

#endif
