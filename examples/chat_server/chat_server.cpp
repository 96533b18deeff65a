#include "chat_server.hpp"

#include <dgrid/json.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>

namespace chat_server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

using string_response = http::response<http::string_body>;

string_response respond(http::status status, unsigned version, std::string_view type, std::string body) {
    string_response res{status, version};
    res.set(http::field::content_type, type);
    res.set(http::field::cache_control, "no-store");
    res.body() = std::move(body);
    return res;
}

// {"error": {"message", "request_id", "status"}}: what the page shows of a
// failure, the gateway's words when it answered.
json::object error_json(dgrid::error_code ec, const dgrid::diagnostics& diag) {
    json::object e{{"message", diag.message.empty() ? ec.message() : diag.message},
                   {"request_id", diag.request_id},
                   {"status", diag.http_status}};
    return json::object{{"error", std::move(e)}};
}

// The conversation the page sends: {"model", "messages": [...]}. Only these
// are taken from the browser; the rest of the request is the server's.
std::string read_conversation(std::string_view body, dgrid::chat_request& chat) {
    json::error_code parse_error;
    const json::value v = json::parse(body, parse_error);
    if (parse_error || !v.is_object())
        return "the body is not a JSON object";
    const json::object& o = v.get_object();
    const json::value* model = o.if_contains("model");
    const json::value* messages = o.if_contains("messages");
    if (!model || !model->is_string() || model->get_string().empty())
        return "no model";
    if (!messages || !messages->is_array() || messages->get_array().empty())
        return "no messages";
    chat.model = model->get_string();
    for (const json::value& m : messages->get_array()) {
        dgrid::diagnostics diag;
        if (dgrid::from_json(m, chat.messages.emplace_back(), diag))
            return "a message is not one: " + diag.message;
    }
    return {};
}

// `event: <name>` (none for a delta) and one data line.
std::string sse_event(std::string_view name, const json::value& data) {
    std::string e;
    if (!name.empty())
        e.append("event: ").append(name).append("\n");
    return e.append("data: ").append(json::serialize(data)).append("\n\n");
}

// The browser's side of a relay. It sends nothing after its request, so its
// socket turning readable means it went away (closed or reset): the upstream
// call under way is cancelled at once through `gone`.
struct browser_watch {
    asio::cancellation_signal gone;
    bool closed = false;  // the browser went away
    bool relaying = true; // false once the relay ended
    std::array<char, 64> ignored{};
};

} // namespace

server::server(asio::any_io_executor ex, dgrid::client& client, std::shared_ptr<chat_server::metrics> metrics,
               server_options options)
    : executor_(std::move(ex)), client_(client), metrics_(std::move(metrics)), options_(std::move(options)),
      acceptor_(asio::make_strand(executor_)) {}

tcp::endpoint server::listen() {
    std::ifstream page(options_.page, std::ios::binary);
    if (!page)
        throw std::runtime_error("cannot read the page " + options_.page.string());
    page_.assign(std::istreambuf_iterator<char>(page), {});
    const tcp::endpoint at(asio::ip::make_address(options_.host), options_.port);
    acceptor_.open(at.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen();
    return acceptor_.local_endpoint();
}

// Each coroutine holds the server (the lambda it runs from lives in its
// frame): a frame destroyed with the io_context outlives main's reference.
void server::start() {
    asio::co_spawn(
        acceptor_.get_executor(), [self = shared_from_this()] { return self->accept_connections(); },
        [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
}

void server::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        dgrid::error_code ignored;
        self->acceptor_.close(ignored);
    });
}

asio::awaitable<void> server::accept_connections() {
    for (;;) {
        auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(executor_), tuple_awaitable);
        if (ec == asio::error::operation_aborted || !acceptor_.is_open())
            co_return;
        if (ec)
            continue; // out of descriptors, say: the next one may do
        const asio::any_io_executor strand = socket.get_executor();
        auto session = [self = shared_from_this(), socket = std::move(socket)]() mutable {
            return self->serve(std::move(socket));
        };
        asio::co_spawn(strand, std::move(session), [](std::exception_ptr e) {
            if (!e)
                return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& failure) {
                std::cerr << "chat_server: a connection failed: " << failure.what() << '\n';
            }
        });
    }
}

asio::awaitable<std::string> server::models_json(bool& ok) {
    ok = true;
    {
        std::lock_guard lock(models_mutex_);
        if (!models_.empty() && std::chrono::steady_clock::now() < models_until_)
            co_return models_;
    }
    dgrid::diagnostics diag;
    auto [ec, list] = co_await client_.async_list_models(diag, tuple_awaitable);
    if (ec) {
        ok = false; // not kept: the next request asks again
        co_return json::serialize(error_json(ec, diag));
    }
    std::string text = json::serialize(dgrid::to_json(list));
    std::lock_guard lock(models_mutex_);
    models_ = text;
    models_until_ = std::chrono::steady_clock::now() + options_.models_cache;
    co_return text;
}

asio::awaitable<void> server::serve(tcp::socket socket) {
    beast::tcp_stream browser(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(options_.max_body);
        browser.expires_after(std::chrono::seconds(60));
        auto [read_error, read] = co_await http::async_read(browser, buffer, parser, tuple_awaitable);
        if (read_error)
            break; // closed, idle for a minute, or a request too large
        const http::request<http::string_body> req = parser.release();
        const std::string_view target = req.target();
        if (target == "/chat" && req.method() == http::verb::post) {
            co_await relay_chat(browser, req);
            break; // the events ran to the end of the connection
        }
        string_response res;
        if (req.method() != http::verb::get) {
            res = respond(http::status::method_not_allowed, req.version(), "text/plain", "GET only, or POST /chat\n");
        } else if (target == "/") {
            res = respond(http::status::ok, req.version(), "text/html; charset=utf-8", page_);
        } else if (target == "/models") {
            bool ok = false;
            std::string models = co_await models_json(ok);
            res = respond(ok ? http::status::ok : http::status::bad_gateway, req.version(), "application/json",
                          std::move(models));
        } else if (target == "/metrics") {
            res =
                respond(http::status::ok, req.version(), "text/plain; version=0.0.4", metrics_->text(client_.stats()));
        } else {
            res = respond(http::status::not_found, req.version(), "text/plain", "not found\n");
        }
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        auto [write_error, written] = co_await http::async_write(browser, res, tuple_awaitable);
        if (write_error || !res.keep_alive())
            break;
    }
    dgrid::error_code ignored;
    browser.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

template <class Stream, class Request>
asio::awaitable<void> server::relay_chat(Stream& browser, const Request& req) {
    dgrid::chat_request chat;
    if (const std::string problem = read_conversation(req.body(), chat); !problem.empty()) {
        string_response res = respond(http::status::bad_request, req.version(), "application/json",
                                      json::serialize(json::object{{"error", json::object{{"message", problem}}}}));
        res.keep_alive(false);
        res.prepare_payload();
        co_await http::async_write(browser, res, tuple_awaitable); // whether the browser took it or not
        co_return;
    }
    ++streams_;
    struct count_down {
        std::atomic<std::size_t>& n;
        ~count_down() { --n; }
    } counted{streams_};

    http::response<http::empty_body> head{http::status::ok, req.version()};
    head.set(http::field::content_type, "text/event-stream");
    head.set(http::field::cache_control, "no-store");
    head.keep_alive(false); // the events end with the connection
    http::response_serializer<http::empty_body> serializer{head};
    // What the kernel holds for a browser that reads slowly is bounded too:
    // past about this much, the relay waits, and so does the gateway.
    dgrid::error_code ignored;
    browser.socket().set_option(asio::socket_base::send_buffer_size(64 * 1024), ignored);
    browser.expires_after(options_.request_timeout);
    auto [head_error, head_written] = co_await http::async_write_header(browser, serializer, tuple_awaitable);
    if (head_error)
        co_return;

    auto watch = std::make_shared<browser_watch>();
    browser.socket().async_read_some(asio::buffer(watch->ignored), [watch](dgrid::error_code ec, std::size_t) {
        watch->closed = true;
        if (watch->relaying && ec)
            watch->gone.emit(asio::cancellation_type::terminal);
    });
    const auto cancellable = [&watch] { return asio::bind_cancellation_slot(watch->gone.slot(), tuple_awaitable); };
    // Writes one event; false when the browser is gone.
    const auto send = [&](std::string event) -> asio::awaitable<bool> {
        browser.expires_after(options_.request_timeout); // a browser that stops reading for that long is dropped
        auto [ec, n] = co_await asio::async_write(browser, asio::buffer(event), tuple_awaitable);
        co_return !ec;
    };

    dgrid::request_options call;
    call.total_timeout = options_.request_timeout;
    dgrid::diagnostics diag;
    auto [start_error, stream] = co_await client_.async_chat_stream(chat, call, diag, cancellable());
    if (start_error) {
        std::string event = sse_event("error", error_json(start_error, diag));
        co_await send(std::move(event));
    } else {
        for (;;) {
            if (watch->closed)
                break; // gone while the last event was written: the stream is dropped unread
            auto [next_error, more] = co_await stream.async_next(diag, cancellable());
            if (next_error) {
                if (!watch->closed) {
                    std::string event = sse_event("error", error_json(next_error, diag));
                    co_await send(std::move(event));
                }
                break;
            }
            if (!more) {
                const dgrid::chat_completion& answer = stream.completion();
                json::object done{{"request_id", stream.response().request_id}};
                if (!answer.choices.empty() && answer.choices.front().message.tool_calls.empty())
                    done["finish_reason"] = answer.choices.front().finish_reason.value_or("");
                if (answer.usage && answer.usage->completion_tokens)
                    done["completion_tokens"] = *answer.usage->completion_tokens;
                std::string event = sse_event("done", done);
                co_await send(std::move(event));
                break;
            }
            const dgrid::chat_chunk& chunk = stream.chunk();
            if (chunk.choices.empty())
                continue;
            const dgrid::chunk_delta& delta = chunk.choices.front().delta;
            json::object piece;
            if (delta.content && !delta.content->empty())
                piece["content"] = *delta.content;
            if (delta.reasoning_content && !delta.reasoning_content->empty())
                piece["reasoning"] = *delta.reasoning_content;
            if (piece.empty())
                continue;
            // The next chunk is pulled only once the browser took this one.
            std::string event = sse_event({}, piece);
            const bool taken = co_await send(std::move(event));
            if (!taken)
                break;
        }
    }
    watch->relaying = false;
}

} // namespace chat_server
