#ifndef DGRID_DETAIL_DELIVER_OUTCOME_HPP
#define DGRID_DETAIL_DELIVER_OUTCOME_HPP

// Internal, compiled into the library only: how the coroutines behind the
// type-erased operations hand their result to the caller's handler.

#include <dgrid/error.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <new>

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
// handler on the handler's own executor, which is kept busy meanwhile. It
// exposes the handler's cancellation slot, so that co_spawn connects it to
// the coroutine: a cancelled operation aborts its I/O.
template <class T>
class deliver_outcome {
public:
    using cancellation_slot_type = asio::cancellation_slot;

    cancellation_slot_type get_cancellation_slot() const noexcept {
        return asio::get_associated_cancellation_slot(handler_);
    }

    deliver_outcome(asio::any_completion_handler<void(error_code, T)> handler, const asio::any_io_executor& fallback)
        : work_(asio::prefer(asio::get_associated_executor(handler, fallback),
                             asio::execution::outstanding_work.tracked)),
          handler_(std::move(handler)) {}

    void operator()(std::exception_ptr ex, outcome<T> result) {
        if (ex)
            result.ec = error_from_exception(ex);
        asio::dispatch(asio::append(std::move(handler_), result.ec, std::move(result.value)));
        work_ = asio::any_completion_executor();
    }

private:
    asio::any_completion_executor work_;
    asio::any_completion_handler<void(error_code, T)> handler_;
};

} // namespace dgrid::detail

#endif
