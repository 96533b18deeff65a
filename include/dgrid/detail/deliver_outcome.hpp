#ifndef DGRID_DETAIL_DELIVER_OUTCOME_HPP
#define DGRID_DETAIL_DELIVER_OUTCOME_HPP

// Internal, compiled into the library only: how the coroutines behind the
// type-erased operations hand their result to the caller's handler.

#include <dgrid/detail/op_cancellation.hpp>
#include <dgrid/error.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <memory>
#include <new>
#include <utility>

namespace dgrid::detail {

namespace asio = boost::asio;

template <class T>
struct outcome {
    error_code ec;
    T value;
};

inline error_code error_from_exception(std::exception_ptr ex) {
    try {
        std::rethrow_exception(ex);
    } catch (const boost::system::system_error& e) {
        return e.code();
    } catch (const std::bad_alloc&) {
        return make_error_code(boost::system::errc::not_enough_memory);
    } catch (...) {
        return make_error_code(boost::system::errc::state_not_recoverable);
    }
}

// Completion of the internal coroutine: hands the outcome to the caller's
// handler on the handler's own executor, which is kept busy meanwhile.
//
// Cancellation: co_spawn connects the slot this handler exposes, the
// operation's own signal, to the coroutine. The caller's slot and
// client::cancel() feed that signal; a cancelled operation aborts its I/O.
template <class T>
class deliver_outcome {
public:
    using cancellation_slot_type = asio::cancellation_slot;

    deliver_outcome(asio::any_completion_handler<void(error_code, T)> handler, const asio::any_io_executor& fallback,
                    std::shared_ptr<op_cancellation> op, std::shared_ptr<op_registry> registry,
                    std::shared_ptr<void> keep_alive = {})
        : keep_alive_(std::move(keep_alive)),
          work_(asio::prefer(handler_executor(handler, fallback), asio::execution::outstanding_work.tracked)),
          handler_(std::move(handler)), op_(std::move(op)), registry_(std::move(registry)),
          caller_slot_(asio::get_associated_cancellation_slot(handler_)) {
        registry_->add(*op_);
        if (caller_slot_.is_connected())
            caller_slot_.assign([op = op_](asio::cancellation_type type) { op->request(type); });
    }

    deliver_outcome(deliver_outcome&& other) noexcept = default;
    deliver_outcome& operator=(deliver_outcome&&) = delete;

    // Never invoked (its execution context went away first): leave the registry.
    ~deliver_outcome() {
        if (registry_)
            registry_->remove(*op_);
    }

    cancellation_slot_type get_cancellation_slot() const noexcept { return op_->slot(); }

    // The completion of an operation that is not a coroutine.
    void operator()(error_code ec, T value) { deliver(ec, std::move(value)); }

    void operator()(std::exception_ptr ex, outcome<T> result) {
        if (ex)
            result.ec = error_from_exception(ex);
        deliver(result.ec, std::move(result.value));
    }

    // A large value comes boxed (run_call): on its way to the handler it is
    // moved about a dozen times (co_spawn, dispatch, the executor's queue),
    // and each move of a chat_completion moves every string and JSON object
    // in it; the box moves as a pointer. Null when the coroutine threw.
    void operator()(std::exception_ptr ex, std::unique_ptr<outcome<T>> result) {
        if (!result)
            result = std::make_unique<outcome<T>>();
        if (ex)
            result->ec = error_from_exception(ex);
        const error_code ec = result->ec;
        deliver(ec, std::move(result));
    }

private:
    static T&& unboxed(T& value) noexcept { return std::move(value); }
    static T&& unboxed(std::unique_ptr<outcome<T>>& box) noexcept { return std::move(box->value); }

    // `value`: the T, or its boxed outcome.
    template <class Value>
    void deliver(error_code ec, Value value) {
        std::exchange(registry_, nullptr)->remove(*op_);
        // The caller's slot is let go on the caller's executor, where it emits.
        auto complete = [handler = std::move(handler_), slot = caller_slot_, ec, value = std::move(value),
                         keep_alive = std::move(keep_alive_)]() mutable {
            if (slot.is_connected())
                slot.clear();
            std::move(handler)(ec, unboxed(value));
        };
        asio::dispatch(asio::bind_executor(work_, std::move(complete)));
        work_ = asio::any_completion_executor();
    }

    // The handler's executor. The fallback is passed through the type
    // erasure as a candidate: an any_io_executor would be boxed on the heap
    // there at every call, the io_context executor inside it is not.
    static asio::any_completion_executor handler_executor(const asio::any_completion_handler<void(error_code, T)>& h,
                                                          const asio::any_io_executor& fallback) {
        if (const auto* io = fallback.target<asio::io_context::executor_type>())
            return asio::get_associated_executor(h, *io);
        return asio::get_associated_executor(h, fallback);
    }

    std::shared_ptr<void> keep_alive_; // what the handler may still read (a stream's diagnostics)
    asio::any_completion_executor work_;
    asio::any_completion_handler<void(error_code, T)> handler_;
    std::shared_ptr<op_cancellation> op_;
    std::shared_ptr<op_registry> registry_; // null once left
    asio::cancellation_slot caller_slot_;
};

} // namespace dgrid::detail

#endif
