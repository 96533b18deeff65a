#ifndef DGRID_DETAIL_CLIENT_IMPL_HPP
#define DGRID_DETAIL_CLIENT_IMPL_HPP

// Internal, compiled into the library only: the state a client shares with
// its operations in flight.

#include <dgrid/client_options.hpp>
#include <dgrid/detail/base_url.hpp>
#include <dgrid/detail/deliver_outcome.hpp>
#include <dgrid/detail/engine/call_observation.hpp>
#include <dgrid/detail/engine/retry_rules.hpp>
#include <dgrid/detail/http/wire_request.hpp>
#include <dgrid/detail/pool/connection_pool.hpp>
#include <dgrid/request_options.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace dgrid::detail {

class client_impl {
public:
    // Validates `options` and throws error_with_diagnostics before any I/O.
    client_impl(asio::any_io_executor ex, client_options options);

    const asio::any_io_executor& get_executor() const { return ex_; }
    const client_options& options() const { return options_; }
    connection_pool& pool() { return pool_; }

    // A request to `{base path}{target}` with the client's headers and the
    // call's, accepting `accept`.
    wire_request make_request(http::verb method, std::string_view target, std::string_view accept, std::string body,
                              const request_options& call) const;

    // Registers a new operation for client::cancel(); its coroutine runs on
    // the returned strand and its handler is `deliver_outcome`, which keeps
    // `keep_alive` until the caller's handler has run.
    // The strand is a new one unless `strand` is given (a stream's read runs
    // on its connection's strand).
    template <class T>
    deliver_outcome<T> completion_for(asio::any_completion_handler<void(error_code, T)> handler,
                                      std::shared_ptr<op_cancellation>& op, std::shared_ptr<void> keep_alive = {},
                                      std::optional<op_cancellation::strand_type> strand = {}) {
        op = std::make_shared<op_cancellation>(strand ? std::move(*strand)
                                                      : executor_for_one(ex_, options_.thread_safe));
        return deliver_outcome<T>(std::move(handler), ex_, op, ops_, std::move(keep_alive));
    }

    // The same for an operation that brings its own cancellation `op`.
    template <class T>
    deliver_outcome<T> completion_with(asio::any_completion_handler<void(error_code, T)> handler,
                                       const std::shared_ptr<op_cancellation>& op, std::shared_ptr<void> keep_alive) {
        return deliver_outcome<T>(std::move(handler), ex_, op, ops_, std::move(keep_alive));
    }

    // A new call's observation, with the next call id; null without an observer.
    std::unique_ptr<call_observation> observe(call_kind kind, std::string model) {
        if (!options_.observer)
            return nullptr;
        return std::make_unique<call_observation>(options_.observer.get(), ++calls_, kind, std::move(model),
                                                  std::chrono::steady_clock::now());
    }

    // Cancels every operation under way.
    void cancel_all() { ops_->cancel_all(); }

    // The operations under way.
    op_registry& operations() { return *ops_; }

    // From now on new operations fail with error::pool_closed (async_shutdown).
    void refuse_new_operations() { refusing_.store(true); }
    bool refuses_new_operations() const { return refusing_.load(std::memory_order_relaxed); }

    // Caps the retries of all the client's operations together.
    retry_budget& budget() { return budget_; }

private:
    // The fields of such a request, without a body.
    string_request request_fields(http::verb method, std::string_view target, std::string_view accept,
                                  const request_options& call) const;

    asio::any_io_executor ex_;
    client_options options_;
    base_url url_;
    std::optional<proxy_endpoint> proxy_; // what connections go through, if anything
    std::string authorization_;
    // The start line and fields of a chat request without extra headers, for
    // each Accept: only the Content-Length and the body are written per call.
    std::string chat_head_;
    std::string stream_head_;
    connection_pool pool_;
    retry_budget budget_;
    std::shared_ptr<op_registry> ops_ = std::make_shared<op_registry>();
    std::atomic<std::uint64_t> calls_{0}; // numbers the calls for an observer
    std::atomic<bool> refusing_{false};
};

} // namespace dgrid::detail

#endif
