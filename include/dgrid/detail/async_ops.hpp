#ifndef DGRID_DETAIL_ASYNC_OPS_HPP
#define DGRID_DETAIL_ASYNC_OPS_HPP

// The type-erased entry points behind the client's initiators: compiled once
// in the library, so a user's translation unit never instantiates the network stack.

#include <dgrid/chat_completion.hpp>
#include <dgrid/chat_request.hpp>
#include <dgrid/chat_stream.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/model_list.hpp>

#include <boost/asio/any_completion_handler.hpp>

#include <memory>
#include <string>

namespace dgrid::detail {

class client_impl;

using chat_handler = boost::asio::any_completion_handler<void(error_code, chat_completion)>;
using models_handler = boost::asio::any_completion_handler<void(error_code, model_list)>;
using stream_handler = boost::asio::any_completion_handler<void(error_code, chat_stream)>;

// A chat request checked and written out as the bytes to send, when its
// operation is initiated: an operation that starts later (`use_awaitable`,
// `deferred`) keeps this text, not the whole request.
struct prepared_chat {
    std::string text;    // the HTTP request; empty when `ec` is set
    error_code ec;       // why the request cannot be sent
    std::string message; // what the diagnostics say about `ec`
};

// `stream`: for async_chat_stream, which sends `"stream": true`.
DGRID_DECL prepared_chat prepare_chat(const client_impl& impl, chat_request request, bool stream);

// `diag` is null when the caller does not want diagnostics; otherwise it
// must stay valid until the handler runs.
DGRID_DECL void async_chat_erased(const std::shared_ptr<client_impl>& impl, diagnostics* diag, prepared_chat request,
                                  chat_handler handler);
DGRID_DECL void async_chat_stream_erased(const std::shared_ptr<client_impl>& impl, diagnostics* diag,
                                         prepared_chat request, stream_handler handler);
DGRID_DECL void async_list_models_erased(const std::shared_ptr<client_impl>& impl, diagnostics* diag,
                                         models_handler handler);

} // namespace dgrid::detail

#endif
