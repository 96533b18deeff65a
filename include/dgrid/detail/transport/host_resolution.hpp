#ifndef DGRID_DETAIL_TRANSPORT_HOST_RESOLUTION_HPP
#define DGRID_DETAIL_TRANSPORT_HOST_RESOLUTION_HPP

// Internal, compiled into the library only: a host's addresses, from the
// caller's resolver or Asio's, as an operation that a cancellation ends at
// once (Asio's own resolve does not take a cancellation slot, and a
// resolver of the caller's may never answer).

#include <dgrid/client_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dgrid::detail {

namespace asio = boost::asio;

using endpoints = std::vector<asio::ip::tcp::endpoint>;

// One resolution under way: whichever comes first, the answer or a
// cancellation, completes it; the other is dropped. Touched only on `ex`.
struct host_resolution : std::enable_shared_from_this<host_resolution> {
    host_resolution(asio::any_io_executor ex, resolve_handler handler)
        : ex(std::move(ex)), handler(std::move(handler)), slot(asio::get_associated_cancellation_slot(*this->handler)) {
    }

    void complete(error_code ec, endpoints found) {
        if (!handler)
            return;
        resolve_handler h = std::move(*handler);
        handler.reset();
        if (slot.is_connected())
            slot.clear();
        if (system)
            system->cancel();
        asio::post(ex, asio::append(std::move(h), ec, std::move(found)));
    }

    asio::any_io_executor ex;
    std::optional<resolve_handler> handler;
    asio::cancellation_slot slot;
    std::optional<asio::ip::tcp::resolver> system; // when no resolver of the caller's
};

// Resolves `host`:`port` through `custom`, or Asio's resolver when it is
// empty; runs on `ex`. Completes with `void(error_code, endpoints)`; a
// cancellation (any type) completes it with `operation_aborted`.
template <class Token>
auto async_resolve_host(asio::any_io_executor ex, const resolver_function& custom, std::string host, std::string port,
                        Token&& token) {
    return asio::async_initiate<Token, void(error_code, endpoints)>(
        [](auto handler, asio::any_io_executor ex, const resolver_function* custom, std::string host,
           std::string port) {
            auto state = std::make_shared<host_resolution>(ex, resolve_handler(std::move(handler)));
            if (state->slot.is_connected())
                state->slot.assign(
                    [state](asio::cancellation_type) { state->complete(asio::error::operation_aborted, {}); });
            // The caller's resolver may answer from any thread: the answer
            // comes back to `ex`.
            auto answer = [state](error_code ec, endpoints found) {
                asio::dispatch(state->ex, [state, ec, found = std::move(found)]() mutable {
                    state->complete(ec, std::move(found));
                });
            };
            if (*custom)
                return (*custom)(host, port, resolve_handler(std::move(answer)));
            state->system.emplace(ex);
            state->system->async_resolve(host, port,
                                         [answer](error_code ec, const asio::ip::tcp::resolver::results_type& results) {
                                             answer(ec, endpoints(results.begin(), results.end()));
                                         });
        },
        token, std::move(ex), &custom, std::move(host), std::move(port));
}

} // namespace dgrid::detail

#endif
