#ifndef DGRID_DETAIL_CLIENT_SHUTDOWN_HPP
#define DGRID_DETAIL_CLIENT_SHUTDOWN_HPP

// Internal, compiled into the library only: client::async_shutdown. New
// operations are refused from the start; the shutdown then waits for the
// operations under way to complete and for the connections in use (open
// streams hold theirs) to come back, closes the pool (close_notify on each
// idle TLS connection) and completes. At the deadline, if one was given, it
// cancels the operations under way and stops waiting for connections held
// by streams that nobody reads: those close when they come back.

#include <dgrid/detail/async_ops.hpp>
#include <dgrid/detail/client_impl.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace dgrid::detail {

class client_shutdown : public std::enable_shared_from_this<client_shutdown> {
public:
    client_shutdown(std::shared_ptr<client_impl> impl, shutdown_handler handler)
        : impl_(std::move(impl)), strand_(executor_for_one(impl_->get_executor(), true)), timer_(strand_),
          work_(asio::prefer(asio::get_associated_executor(handler, impl_->get_executor()),
                             asio::execution::outstanding_work.tracked)),
          handler_(std::move(handler)) {}

    // `deadline`: when to cancel what is still under way; none when empty.
    void start(std::optional<std::chrono::milliseconds> deadline) {
        if (deadline) {
            timer_.expires_after(*deadline);
            timer_.async_wait([self = shared_from_this()](error_code ec) {
                if (!ec)
                    self->deadline_passed();
            });
        }
        // Operations first: a call under way holds a connection it gives back
        // when it ends.
        impl_->operations().on_empty(on_strand(&client_shutdown::operations_ended));
    }

private:
    // `step`, run on the shutdown's strand, from whichever thread calls.
    std::function<void()> on_strand(void (client_shutdown::*step)()) {
        return [self = shared_from_this(), step] { asio::post(self->strand_, [self, step] { ((*self).*step)(); }); };
    }

    void operations_ended() {
        operations_done_ = true;
        impl_->pool().on_unused(on_strand(&client_shutdown::connections_back));
    }

    void connections_back() {
        connections_done_ = true;
        finish_if_done();
    }

    void deadline_passed() {
        late_ = true;
        impl_->cancel_all();
        finish_if_done();
    }

    void finish_if_done() {
        if (finished_ || !operations_done_ || !(connections_done_ || late_))
            return;
        finished_ = true;
        timer_.cancel();
        impl_->pool().close();
        // Posted, then run on the handler's own executor.
        asio::post(strand_, asio::bind_executor(work_, asio::append(std::move(handler_), error_code())));
        work_ = asio::any_completion_executor();
    }

    std::shared_ptr<client_impl> impl_;
    asio::any_io_executor strand_;
    asio::steady_timer timer_;
    asio::any_completion_executor work_; // keeps the handler's executor busy until it runs
    shutdown_handler handler_;
    bool operations_done_ = false;
    bool connections_done_ = false;
    bool late_ = false;
    bool finished_ = false;
};

} // namespace dgrid::detail

#endif
