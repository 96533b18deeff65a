#ifndef DGRID_IMPL_CLIENT_IPP
#define DGRID_IMPL_CLIENT_IPP

#include <dgrid/client.hpp>
#include <dgrid/detail/client_impl.hpp>
#include <dgrid/detail/client_shutdown.hpp>
#include <dgrid/detail/deliver_outcome.hpp>
#include <dgrid/detail/engine/request_driver.hpp>
#include <dgrid/detail/http/response_status.hpp>
#include <dgrid/detail/json/request_writer.hpp>
#include <dgrid/detail/stream/stream_state.hpp>
#include <dgrid/error_with_diagnostics.hpp>
#include <dgrid/json.hpp>
#include <dgrid/observer.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <openssl/ssl.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <new>

namespace dgrid {
namespace detail {

inline void throw_config_error(error e, std::string message) {
    diagnostics diag;
    diag.message = std::move(message);
    throw error_with_diagnostics(e, std::move(diag));
}

inline std::string resolve_api_key(const std::optional<std::string>& given) {
    if (given)
        return *given;
    const char* env = std::getenv("DGRID_API_KEY");
    return env ? std::string(env) : std::string();
}

inline bool is_reserved_header(std::string_view name) {
    for (std::string_view reserved : {"host", "authorization", "content-length", "transfer-encoding", "connection"}) {
        if (name.size() == reserved.size() &&
            std::equal(name.begin(), name.end(), reserved.begin(),
                       [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
            return true;
    }
    return false;
}

inline std::shared_ptr<asio::ssl::context> make_tls_context(const client_options& options) {
    if (options.ssl_context)
        return options.ssl_context;
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    if (options.tls_session_resumption)
        tls_session_cache::enable(context->native_handle());
    context->set_verify_mode(asio::ssl::verify_peer);
    if (options.ca_file.empty())
        context->set_default_verify_paths();
    else
        context->load_verify_file(options.ca_file);
    return context;
}

inline base_url parse_or_throw(const std::string& url) {
    base_url parsed;
    std::string what;
    if (error_code ec = parse_base_url(url, parsed, what))
        throw_config_error(error::invalid_base_url, "invalid base URL: " + what);
    return parsed;
}

// Why `headers` cannot be sent, or empty when they can.
inline std::string check_headers(const std::vector<http_header>& headers) {
    for (const auto& header : headers) {
        if (!is_valid_header_name(header.name))
            return "invalid header name";
        if (!is_valid_header_value(header.value))
            return "the value of header " + header.name + " holds CR, LF, NUL or control characters";
        if (is_reserved_header(header.name))
            return "header " + header.name + " is set by the client itself";
    }
    return {};
}

inline client_options validated(client_options options) {
    options.api_key = resolve_api_key(options.api_key);
    if (options.api_key->empty())
        throw_config_error(error::missing_api_key,
                           "no API key: set client_options::api_key or the DGRID_API_KEY environment variable");
    // The key itself is never quoted: it must not end up in logs.
    if (!is_valid_header_value(*options.api_key))
        throw_config_error(error::invalid_header_value, "the API key holds control characters");
    if (std::string why = check_headers(options.default_headers); !why.empty())
        throw_config_error(error::invalid_header_value, "default_headers: " + why);
    if (!options.observer) {
        if (const std::optional<log_level> level = log_level_from_environment())
            options.observer = make_logger(*level);
    }
    return options;
}

// The media types a request accepts: a whole response, or a stream.
inline constexpr std::string_view accept_json = "application/json";
inline constexpr std::string_view accept_event_stream = "text/event-stream";
inline constexpr std::string_view chat_target = "/chat/completions";

// The proxy the client's connections go through, if any (client_options::proxy).
inline std::optional<proxy_endpoint> proxy_or_throw(const client_options& options, const base_url& url) {
    std::optional<proxy_endpoint> proxy;
    std::string why;
    if (resolve_proxy(options.proxy, url.tls, url.host, proxy, why))
        throw_config_error(error::invalid_base_url, "invalid proxy: " + why);
    return proxy;
}

inline client_impl::client_impl(asio::any_io_executor ex, client_options options)
    : ex_(std::move(ex)), options_(validated(std::move(options))), url_(parse_or_throw(options_.base_url)),
      proxy_(proxy_or_throw(options_, url_)), authorization_("Bearer " + *options_.api_key),
      chat_head_(head_text(request_fields(http::verb::post, chat_target, accept_json, request_options{}))),
      stream_head_(head_text(request_fields(http::verb::post, chat_target, accept_event_stream, request_options{}))),
      pool_(ex_, connect_route{url_, options_.pool.connect_timeout, options_.resolver, proxy_},
            url_.tls ? make_tls_context(options_) : nullptr, options_.pool, !options_.insecure_skip_tls_verification,
            options_.thread_safe),
      budget_(options_.retry) {}

// A user's header replaces the client's of the same name, except the Accept
// of a stream and the Content-Type of a body, which the client needs.
inline string_request client_impl::request_fields(http::verb method, std::string_view target, std::string_view accept,
                                                  const request_options& call) const {
    // Through a proxy, plain HTTP names the whole URL (absolute form).
    const bool absolute = proxy_ && !url_.tls;
    std::string full_target;
    if (absolute)
        full_target.append("http://").append(url_.host_header);
    full_target.append(url_.path).append(target);
    string_request request(method, full_target, 11);
    request.set(http::field::host, url_.host_header);
    request.set(http::field::authorization, authorization_);
    if (absolute && !proxy_->authorization.empty())
        request.set(http::field::proxy_authorization, proxy_->authorization);
    request.set(http::field::user_agent, "dgrid-cpp/0.1");
    request.set(http::field::accept, accept_json);
    for (const auto& header : options_.default_headers)
        request.set(header.name, header.value);
    for (const auto& header : call.extra_headers)
        request.set(header.name, header.value);
    if (call.idempotency_key)
        request.set("Idempotency-Key", *call.idempotency_key);
    if (accept != accept_json)
        request.set(http::field::accept, accept);
    if (method == http::verb::post)
        request.set(http::field::content_type, "application/json");
    return request;
}

// A chat request without headers of its own starts with a head written once;
// Beast's prepare_payload would add the same Content-Length after it.
inline wire_request client_impl::make_request(http::verb method, std::string_view target, std::string_view accept,
                                              std::string body, const request_options& call) const {
    if (call.extra_headers.empty() && !call.idempotency_key && method == http::verb::post && target == chat_target &&
        (accept == accept_json || accept == accept_event_stream)) {
        const std::string& head = accept == accept_json ? chat_head_ : stream_head_;
        const std::string length = std::to_string(body.size());
        std::string text;
        text.reserve(head.size() + 20 + length.size() + body.size());
        text.append(head).append("Content-Length: ").append(length).append("\r\n\r\n").append(body);
        return {std::move(text)};
    }
    string_request request = request_fields(method, target, accept, call);
    if (method == http::verb::post)
        request.body() = std::move(body);
    request.prepare_payload();
    std::string text = head_text(request, 2 + request.body().size());
    text.append("\r\n").append(request.body());
    return {std::move(text)};
}

// Cancels `op` when `deadline` passes, so that the deadline also covers the
// waits that no socket timer guards (for a connection from the pool); the
// abort then reads as a timeout (operation_error).
class deadline_guard {
public:
    deadline_guard(const asio::any_io_executor& ex, clock::time_point deadline,
                   const std::shared_ptr<op_cancellation>& op)
        : timer_(ex) {
        if (deadline == clock::time_point::max())
            return;
        timer_.expires_at(deadline);
        timer_.async_wait([op](error_code ec) {
            if (!ec)
                op->request(asio::cancellation_type::terminal);
        });
    }

private:
    asio::steady_timer timer_;
};

// Turns a complete response into `out` or into an error with diagnostics.
template <class T>
error_code read_response(const response_reader& response, T& out, diagnostics& diag) {
    if (error_code ec = read_status(response, diag))
        return ec;
    if (error_code ec = parse_json(response.body(), out, diag))
        return ec;
    return error_in_answer(out, diag);
}

// Where an operation writes its diagnostics: the caller's, else its own, on
// the heap: Asio recycles no coroutine frame over 1020 bytes, and diagnostics
// would take a fifth of that in the frame.
inline diagnostics& diagnostics_for(diagnostics* user, std::unique_ptr<diagnostics>& own) {
    if (user)
        return *user;
    own = std::make_unique<diagnostics>();
    return *own;
}

// Opens a stream, sending the request again while the policy allows.
// `first`: the connection for the first attempt, if one was idle.
inline asio::awaitable<outcome<chat_stream>> run_stream(std::shared_ptr<client_impl> impl, diagnostics* user_diag,
                                                        wire_request request, request_limits limits,
                                                        std::unique_ptr<call_observation> observation,
                                                        std::shared_ptr<op_cancellation> op, held_connection first) {
    co_await asio::this_coro::throw_if_cancelled(false);
    std::unique_ptr<diagnostics> own_diag;
    diagnostics& diag = diagnostics_for(user_diag, own_diag);
    diag.clear();
    outcome<chat_stream> result;
    auto state = std::make_shared<stream_state>(impl, std::move(request), limits, std::move(observation), first.take());
    deadline_guard deadline(co_await asio::this_coro::executor, state->total_deadline(), op);
    result.ec = co_await state->open(diag);
    if (result.ec)
        state->observe_end(result.ec, &diag);
    else
        result.value = chat_stream(std::move(state));
    co_return result;
}

// The usage an observer's end event shows.
inline const std::optional<usage>* usage_of(const chat_completion& c) { return &c.usage; }
inline const std::optional<usage>* usage_of(const model_list&) { return nullptr; }

inline bool has_non_finite(const chat_request& request) {
    auto bad = [](const std::optional<double>& x) { return x && !std::isfinite(*x); };
    return bad(request.temperature) || bad(request.top_p) || bad(request.presence_penalty) ||
           bad(request.frequency_penalty);
}

// One call, sent again while the policy allows, all within `timeouts.total`.
// `first`: the connection for the first attempt, if one was idle.
// The outcome is boxed for its way to the handler (deliver_outcome).
template <class T>
asio::awaitable<std::unique_ptr<outcome<T>>>
run_call(std::shared_ptr<client_impl> impl, diagnostics* user_diag, wire_request request, request_limits limits,
         std::unique_ptr<call_observation> observation, std::shared_ptr<op_cancellation> op, held_connection first) {
    // Cancellation shows as operation_aborted from the operation it hits,
    // never as an exception that would skip giving connections back.
    co_await asio::this_coro::throw_if_cancelled(false);
    std::unique_ptr<diagnostics> own_diag;
    diagnostics& diag = diagnostics_for(user_diag, own_diag);
    diag.clear();
    auto result = std::make_unique<outcome<T>>();
    const auto now = clock::now();
    operation_fsm fsm(operation_kind::call, impl->options(), limits, impl->budget(), deadline_after(limits.total, now));
    fsm.observe(observation.get());
    deadline_guard deadline(co_await asio::this_coro::executor, fsm.total_deadline(), op);
    std::unique_ptr<connection> conn = first.take();
    auto read_answer = [&result](const response_reader& response, diagnostics& d) {
        return read_response(response, result->value, d);
    };
    const operation_step step = fsm.resume({{}, now}, diag);
    result->ec = co_await drive(impl->pool(), fsm, step, request, conn, diag, read_answer);
    if (!result->ec) {
        response_info& info = result->value.response;
        fsm.describe_response(info);
        info.total = clock::now() - now;
    }
    if (observation)
        observation->end(result->ec, fsm.attempts(), &diag, usage_of(result->value), clock::now());
    co_return result;
}

// A new operation, registered (completion_for), with where it runs.
template <class T>
struct started_operation {
    std::shared_ptr<op_cancellation> op;
    deliver_outcome<T> completion;
    held_connection first; // for its first attempt, when one was idle
};

// A connection idle now is taken at once, and the operation runs on its
// strand, where its I/O runs too: no strand of its own to make, no hop per
// exchange. Else the operation gets a new strand and waits in the pool.
template <class T>
started_operation<T> start_operation(const std::shared_ptr<client_impl>& impl,
                                     asio::any_completion_handler<void(error_code, T)> handler) {
    // The pool lives in the client: an aliasing pointer keeps both.
    held_connection first(std::shared_ptr<connection_pool>(impl, &impl->pool()), impl->pool().take_idle());
    std::optional<op_cancellation::strand_type> strand;
    if (const connection* idle = first.get())
        strand = idle->get_executor();
    std::shared_ptr<op_cancellation> op;
    auto completion = impl->completion_for(std::move(handler), op, {}, std::move(strand));
    return {std::move(op), std::move(completion), std::move(first)};
}

// Fails before any I/O, still never inside the initiating call.
template <class T>
void fail_early(const std::shared_ptr<client_impl>& impl, diagnostics* diag, error_code ec, std::string message,
                asio::any_completion_handler<void(error_code, T)> handler) {
    if (diag) {
        diag->clear();
        diag->message = std::move(message);
    }
    asio::post(impl->get_executor(), asio::append(std::move(handler), ec, T{}));
}

// A call refused before any I/O: its request cannot be sent, or the client
// is shutting down. Sets `request.ec`.
inline bool refused(const client_impl& impl, prepared_request& request) {
    if (!request.ec && impl.refuses_new_operations()) {
        request.ec = error::pool_closed;
        request.message = "the client is shutting down";
    }
    return request.ec.failed();
}

template <class T>
void start_call(const std::shared_ptr<client_impl>& impl, diagnostics* diag, prepared_request request, call_kind kind,
                asio::any_completion_handler<void(error_code, T)> handler) {
    if (refused(*impl, request))
        return fail_early(impl, diag, request.ec, std::move(request.message), std::move(handler));
    auto observation = impl->observe(kind, std::move(request.model));
    auto started = start_operation(impl, std::move(handler));
    asio::co_spawn(started.op->strand(),
                   run_call<T>(impl, diag, wire_request{std::move(request.text)}, request.limits,
                               std::move(observation), started.op, std::move(started.first)),
                   std::move(started.completion));
}

// Why the call's own options cannot be sent, or empty when they can.
inline std::string check_call_options(const request_options& call) {
    if (std::string why = check_headers(call.extra_headers); !why.empty())
        return "request_options::extra_headers: " + why;
    if (call.idempotency_key && !is_valid_header_value(*call.idempotency_key))
        return "request_options::idempotency_key holds CR, LF, NUL or control characters";
    return {};
}

DGRID_DECL prepared_request prepare_chat(const client_impl& impl, const chat_request& request,
                                         const request_options& call, bool stream) {
    const request_limits limits = request_limits::of(impl.options(), call, stream);
    if (has_non_finite(request))
        return {{}, limits, error::invalid_request, "a number in the request is NaN or infinite", {}};
    if (std::string why = check_call_options(call); !why.empty())
        return {{}, limits, error::invalid_header_value, std::move(why), {}};
    wire_request wire = impl.make_request(http::verb::post, chat_target, stream ? accept_event_stream : accept_json,
                                          request_json(request, stream), call);
    return {std::move(wire.text), limits, {}, {}, impl.options().observer ? request.model : std::string()};
}

DGRID_DECL prepared_request prepare_list_models(const client_impl& impl, const request_options& call) {
    const request_limits limits = request_limits::of(impl.options(), call, false);
    if (std::string why = check_call_options(call); !why.empty())
        return {{}, limits, error::invalid_header_value, std::move(why), {}};
    return {impl.make_request(http::verb::get, "/models", accept_json, {}, call).text, limits, {}, {}, {}};
}

DGRID_DECL void async_chat_erased(const std::shared_ptr<client_impl>& impl, diagnostics* diag, prepared_request request,
                                  chat_handler handler) {
    start_call(impl, diag, std::move(request), call_kind::chat, std::move(handler));
}

DGRID_DECL void async_chat_stream_erased(const std::shared_ptr<client_impl>& impl, diagnostics* diag,
                                         prepared_request request, stream_handler handler) {
    if (refused(*impl, request))
        return fail_early(impl, diag, request.ec, std::move(request.message), std::move(handler));
    auto observation = impl->observe(call_kind::chat_stream, std::move(request.model));
    auto started = start_operation(impl, std::move(handler));
    asio::co_spawn(started.op->strand(),
                   run_stream(impl, diag, wire_request{std::move(request.text)}, request.limits, std::move(observation),
                              started.op, std::move(started.first)),
                   std::move(started.completion));
}

DGRID_DECL void async_list_models_erased(const std::shared_ptr<client_impl>& impl, diagnostics* diag,
                                         prepared_request request, models_handler handler) {
    start_call(impl, diag, std::move(request), call_kind::list_models, std::move(handler));
}

} // namespace detail

DGRID_DECL client::client(executor_type ex, client_options options)
    : impl_(std::make_shared<detail::client_impl>(std::move(ex), std::move(options))) {}

DGRID_DECL client::~client() {
    if (impl_)
        impl_->pool().close();
}

DGRID_DECL void detail::async_shutdown_erased(const std::shared_ptr<client_impl>& impl,
                                              std::optional<std::chrono::milliseconds> deadline,
                                              shutdown_handler handler) {
    impl->refuse_new_operations();
    std::make_shared<client_shutdown>(impl, std::move(handler))->start(deadline);
}

DGRID_DECL client::executor_type client::get_executor() const noexcept { return impl_->get_executor(); }

DGRID_DECL const client_options& client::options() const noexcept { return impl_->options(); }

DGRID_DECL pool_stats client::stats() const { return impl_->pool().stats(); }

DGRID_DECL void client::cancel() { impl_->cancel_all(); }

} // namespace dgrid

#endif
