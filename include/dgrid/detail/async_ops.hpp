#ifndef DGRID_DETAIL_ASYNC_OPS_HPP
#define DGRID_DETAIL_ASYNC_OPS_HPP

// The type-erased entry points behind the client's initiators: compiled once
// in the library, so a user's translation unit never instantiates the network stack.

#include <dgrid/chat_completion.hpp>
#include <dgrid/chat_request.hpp>
#include <dgrid/chat_stream.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/detail/engine/request_limits.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/model_list.hpp>
#include <dgrid/request_options.hpp>

#include <boost/asio/any_completion_handler.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace dgrid::detail {

class client_impl;

// The arguments before a completion token, which a token parameter must not
// take for itself.
template <class T>
concept call_argument =
    std::is_same_v<std::remove_cvref_t<T>, request_options> || std::is_same_v<std::remove_cvref_t<T>, diagnostics>;

using chat_handler = boost::asio::any_completion_handler<void(error_code, chat_completion)>;
using models_handler = boost::asio::any_completion_handler<void(error_code, model_list)>;
using stream_handler = boost::asio::any_completion_handler<void(error_code, chat_stream)>;

// A request checked and written out as the bytes to send, with its limits,
// when its operation is initiated: an operation that starts later
// (`use_awaitable`, `deferred`) keeps this text, not the typed request.
struct prepared_request {
    std::string text;      // the HTTP request; empty when `ec` is set
    request_limits limits; // the client's, with the call's options over them
    error_code ec;         // why the request cannot be sent
    std::string message;   // what the diagnostics say about `ec`
    std::string model;     // the request's model, for an observer (empty without one)
};

// `stream`: for async_chat_stream, which sends `"stream": true`.
DGRID_DECL prepared_request prepare_chat(const client_impl& impl, const chat_request& request,
                                         const request_options& options, bool stream);
DGRID_DECL prepared_request prepare_list_models(const client_impl& impl, const request_options& options);

// `diag` is null when the caller does not want diagnostics; otherwise it
// must stay valid until the handler runs.
DGRID_DECL void async_chat_erased(const std::shared_ptr<client_impl>& impl, diagnostics* diag, prepared_request request,
                                  chat_handler handler);
DGRID_DECL void async_chat_stream_erased(const std::shared_ptr<client_impl>& impl, diagnostics* diag,
                                         prepared_request request, stream_handler handler);
using shutdown_handler = boost::asio::any_completion_handler<void(error_code)>;

// `deadline`: when what is still under way is cancelled; none when empty.
DGRID_DECL void async_shutdown_erased(const std::shared_ptr<client_impl>& impl,
                                      std::optional<std::chrono::milliseconds> deadline, shutdown_handler handler);

DGRID_DECL void async_list_models_erased(const std::shared_ptr<client_impl>& impl, diagnostics* diag,
                                         prepared_request request, models_handler handler);

} // namespace dgrid::detail

#endif
