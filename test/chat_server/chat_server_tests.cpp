// examples/chat_server as a browser sees it: the server is a process of its
// own (the example's executable), in front of an emulator started here over
// TLS; the browsers are plain HTTP clients on this process's io_context.
#define BOOST_TEST_MODULE dgrid chat server example
#include "child_process.hpp"
#include "fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <signal.h>

namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace dgrid;
using namespace dgrid::test;
using namespace std::chrono_literals;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// The key the server holds; no response to a browser may carry it.
constexpr std::string_view api_key = "sk-chat-server-secret-7f3a";

emulator::server_options emulator_with(std::chrono::milliseconds token_delay = 0ms) {
    emulator::server_options o = emulator_defaults();
    o.api_key = std::string(api_key);
    o.token_delay = token_delay;
    o.threads = 2;
    return o;
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// The example's server, started against `f`'s emulator on a free port.
class server_process {
public:
    explicit server_process(const emulator_fixture& f, std::vector<std::string> args = {}) {
        static int n = 0;
        out_path_ = std::filesystem::temp_directory_path() /
                    ("dgrid-chat-server-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".out");
        args.insert(args.begin(), {CHAT_SERVER_PATH, "--port", "0", "--threads", "2"});
        pid_ = spawn_process(
            std::move(args),
            environment_with({"DGRID_API_KEY=" + std::string(api_key), "DGRID_BASE_URL=" + f.server.base_url(),
                              "DGRID_CA_FILE=" + f.server.ca_file().string()},
                             {"DGRID_"}),
            {{1, out_path_.string()}});
        // Sanitized builds start slowly.
        const std::string_view mark = "listening http://127.0.0.1:";
        for (int i = 0; i < 600 && port == 0; ++i) {
            const std::string out = read_text(out_path_);
            if (const std::size_t at = out.find(mark);
                at != std::string::npos && out.find('\n', at) != std::string::npos)
                port = static_cast<unsigned short>(std::stoul(out.substr(at + mark.size())));
            else
                std::this_thread::sleep_for(50ms);
        }
        BOOST_TEST_REQUIRE(port != 0, "the server did not start: " << read_text(out_path_));
    }

    server_process(const server_process&) = delete;

    ~server_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait();
        }
        std::filesystem::remove(out_path_);
    }

    // SIGTERM, then its exit code (or -signal).
    int terminate() {
        ::kill(pid_, SIGTERM);
        return wait();
    }

    // Its resident memory now, in KiB.
    std::size_t rss_kib() const {
        std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
        for (std::string line; std::getline(status, line);)
            if (line.starts_with("VmRSS:"))
                return std::stoul(line.substr(6));
        return 0;
    }

    unsigned short port = 0;

private:
    int wait() {
        const int code = wait_for_exit(pid_);
        pid_ = 0;
        return code;
    }

    pid_t pid_ = 0;
    std::filesystem::path out_path_;
};

// "p0 p1 ... p(count-1)", the numbers taken modulo `cycle`: an answer of
// `count` tokens from emulator/echo.
std::string words(int count, std::string_view prefix, int cycle = 1 << 30) {
    std::string text;
    for (int w = 0; w < count; ++w)
        text.append(w == 0 ? "" : " ").append(prefix).append(std::to_string(w % cycle));
    return text;
}

std::string chat_request_text(std::string_view model, std::string_view prompt) {
    const std::string body = json::serialize(
        json::object{{"model", model}, {"messages", json::array{json::object{{"role", "user"}, {"content", prompt}}}}});
    return "POST /chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string get_request_text(std::string_view target) {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
}

// Sends `request` and reads the whole response, to the end of the connection.
asio::awaitable<std::string> exchange(unsigned short port, std::string request) {
    tcp::socket socket(co_await asio::this_coro::executor);
    auto [connect_error] = co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, tuple_awaitable);
    if (connect_error)
        co_return std::string();
    auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(request), tuple_awaitable);
    std::string response;
    auto [read_error, read] = co_await asio::async_read(socket, asio::dynamic_buffer(response), tuple_awaitable);
    co_return response;
}

std::string exchange_now(unsigned short port, std::string request) {
    asio::io_context io;
    std::string response;
    asio::co_spawn(io, exchange(port, std::move(request)), [&](std::exception_ptr e, std::string r) {
        if (e)
            std::rethrow_exception(e);
        response = std::move(r);
    });
    io.run();
    return response;
}

// A response's status, its body, and, for server-sent events, what they said.
struct response_view {
    int status = 0;
    std::string body;
    std::string content;   // the deltas' content, joined
    std::string reasoning; // and their reasoning
    std::size_t deltas = 0;
    std::string last_event; // "done" or "error": how it ended
    json::object last_data;
};

response_view view(const std::string& response) {
    response_view v;
    if (response.size() < 12)
        return v;
    v.status = std::stoi(response.substr(9, 3));
    const std::size_t head_end = response.find("\r\n\r\n");
    v.body = head_end == std::string::npos ? std::string() : response.substr(head_end + 4);
    if (response.find("text/event-stream") > head_end)
        return v;
    std::size_t at = 0;
    for (std::size_t end; (end = v.body.find("\n\n", at)) != std::string::npos; at = end + 2) {
        const std::string block = v.body.substr(at, end - at);
        std::string event, data;
        if (block.starts_with("event: ")) {
            event = block.substr(7, block.find('\n') - 7);
            data = block.substr(block.find("\ndata: ") + 7);
        } else {
            data = block.substr(6);
        }
        json::object o = json::parse(data).as_object();
        if (event.empty()) {
            ++v.deltas;
            if (const json::value* c = o.if_contains("content"))
                v.content += c->as_string();
            if (const json::value* r = o.if_contains("reasoning"))
                v.reasoning += r->as_string();
        } else {
            v.last_event = event;
            v.last_data = std::move(o);
        }
    }
    return v;
}

// A browser on `io` per request, all at once; each one's response lands in
// `answers`, in the order of `requests`.
void start_browsers(asio::io_context& io, unsigned short port, const std::vector<std::string>& requests,
                    std::vector<response_view>& answers) {
    answers.resize(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i)
        asio::co_spawn(io, exchange(port, requests[i]), [&answers, i](std::exception_ptr e, std::string r) {
            if (e)
                std::rethrow_exception(e);
            answers[i] = view(r);
        });
}

// The value of a Prometheus sample line `name value`.
std::optional<double> sample(const std::string& metrics, const std::string& name) {
    const std::size_t at = metrics.find("\n" + name + " ");
    if (at == std::string::npos)
        return std::nullopt;
    return std::stod(metrics.substr(at + name.size() + 2));
}

// Until `done` holds, for at most `limit`.
template <class Condition>
bool eventually(Condition done, std::chrono::milliseconds limit = 10s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(page_models_metrics_and_the_key_kept) {
    emulator_fixture f(emulator_with());
    server_process s(f);

    const response_view page = view(exchange_now(s.port, get_request_text("/")));
    BOOST_TEST(page.status == 200);
    BOOST_TEST(page.body.find("<select id=\"model\">") != std::string::npos);

    const std::string models_text = exchange_now(s.port, get_request_text("/models"));
    const response_view models = view(models_text);
    BOOST_TEST(models.status == 200);
    BOOST_TEST(models.body.find("\"emulator/echo\"") != std::string::npos, models.body);
    BOOST_TEST(view(exchange_now(s.port, get_request_text("/models"))).body == models.body); // cached

    const response_view answer = view(exchange_now(s.port, chat_request_text("emulator/reasoning", "why?")));
    BOOST_TEST(answer.status == 200);
    BOOST_TEST(answer.last_event == "done", answer.body);
    BOOST_TEST(!answer.content.empty());
    BOOST_TEST(!answer.reasoning.empty());
    BOOST_TEST(!answer.last_data.at("request_id").as_string().empty());

    // The gateway's refusal reaches the page with its words and request id.
    const response_view refused = view(exchange_now(s.port, chat_request_text("no-such-model", "hi")));
    BOOST_TEST(refused.last_event == "error", refused.body);
    const json::object& error = refused.last_data.at("error").as_object();
    BOOST_TEST(error.at("status") == 404);
    BOOST_TEST(!error.at("request_id").as_string().empty());
    BOOST_TEST(!error.at("message").as_string().empty());

    // What the browser got wrong: 400, 404, 405.
    BOOST_TEST(view(exchange_now(s.port, chat_request_text("", "hi"))).status == 400);
    const std::string not_json = "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n{{{";
    BOOST_TEST(view(exchange_now(s.port, not_json)).status == 400);
    BOOST_TEST(view(exchange_now(s.port, get_request_text("/nothing"))).status == 404);
    BOOST_TEST(view(exchange_now(s.port, "DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).status == 405);

    const std::string metrics = view(exchange_now(s.port, get_request_text("/metrics"))).body;
    BOOST_TEST(metrics.find("dgrid_requests_total{call=\"chat_stream\"}") != std::string::npos, metrics);
    BOOST_TEST(metrics.find("dgrid_requests_total{call=\"list_models\"} 1\n") != std::string::npos, metrics);
    BOOST_TEST(metrics.find("dgrid_errors_total{code=\"not_found\"} 1\n") != std::string::npos, metrics);
    BOOST_TEST(sample(metrics, "dgrid_time_to_first_token_seconds_count").value_or(0) >= 1);
    BOOST_TEST(sample(metrics, "dgrid_inter_token_seconds_count").value_or(0) >= 1);

    // No response carries the key.
    for (const std::string& text : {page.body, models_text, answer.body, refused.body, metrics})
        BOOST_TEST(text.find(api_key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(two_hundred_browsers_at_once) {
    emulator_fixture f(emulator_with());
    server_process s(f);
    constexpr int browsers = 200;
    std::vector<std::string> requests;
    for (int i = 0; i < browsers; ++i)
        requests.push_back(chat_request_text("emulator/echo", "question number " + std::to_string(i)));
    asio::io_context io;
    std::vector<response_view> answers;
    start_browsers(io, s.port, requests, answers);
    io.run();
    for (int i = 0; i < browsers; ++i) {
        const response_view& a = answers[static_cast<std::size_t>(i)];
        BOOST_TEST_INFO("browser " << i << ": " << a.body.substr(0, 300));
        BOOST_TEST(a.status == 200);
        BOOST_TEST(a.last_event == "done");
        BOOST_TEST(a.content == "question number " + std::to_string(i));
        BOOST_TEST(a.deltas > 1u); // token by token
    }
    // The client's pool (64 connections) bounded the gateway's side.
    BOOST_TEST(f.server.connections_accepted() <= 64u);
    const std::string metrics = view(exchange_now(s.port, get_request_text("/metrics"))).body;
    BOOST_TEST(sample(metrics, "dgrid_pool_connections{state=\"open\"}").value_or(1e9) <= 64);
    BOOST_TEST(sample(metrics, "dgrid_pool_waiting").value_or(1) == 0);
}

BOOST_AUTO_TEST_CASE(browsers_that_leave_part_way) {
    // 20 ms a token, 200 tokens: four seconds an answer.
    emulator_fixture f(emulator_with(20ms));
    server_process s(f);
    const std::string long_prompt = words(200, "word");
    constexpr int browsers = 8;
    asio::io_context io;
    int left = 0;
    for (int i = 0; i < browsers; ++i)
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                tcp::socket socket(io);
                co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), s.port}, asio::use_awaitable);
                const std::string request = chat_request_text("emulator/echo", long_prompt);
                co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
                // Three deltas in, the browser goes away.
                std::string seen;
                char buffer[512];
                while (std::count(seen.begin(), seen.end(), '\n') < 12) {
                    const std::size_t n = co_await socket.async_read_some(asio::buffer(buffer), asio::use_awaitable);
                    seen.append(buffer, n);
                }
                socket.close();
                ++left;
            },
            [](std::exception_ptr e) {
                if (e)
                    std::rethrow_exception(e);
            });
    io.run();
    BOOST_TEST(left == browsers);
    BOOST_TEST(f.server.connections_accepted() == static_cast<std::uint64_t>(browsers));
    // Each upstream stream is cancelled at once and its connection closed
    // (not given back half read): well before the answers' four seconds.
    const auto gone = std::chrono::steady_clock::now();
    BOOST_TEST(eventually([&] { return f.server.open_connections() == 0; }, 3s), f.server.open_connections()
                                                                                     << " connections still open");
    BOOST_TEST((std::chrono::steady_clock::now() - gone < 3s));
    const std::string metrics = view(exchange_now(s.port, get_request_text("/metrics"))).body;
    BOOST_TEST(metrics.find("dgrid_errors_total{code=\"system:125\"} 8\n") != std::string::npos, metrics);

    // The next answer goes over a new connection, and is whole.
    const response_view next = view(exchange_now(s.port, chat_request_text("emulator/echo", "after them")));
    BOOST_TEST(next.content == "after them");
    BOOST_TEST(f.server.connections_accepted() == static_cast<std::uint64_t>(browsers) + 1);
}

BOOST_AUTO_TEST_CASE(a_slow_reader_holds_the_gateway_back) {
    // An answer of 100,000 deltas: more than 15 MB of events from the
    // emulator, more than every socket buffer on the way holds. A browser
    // that reads none of it: the server pulls the next chunk only once the
    // last was written, so the emulator's stream stays unfinished and the
    // server holds little of it.
    emulator_fixture f(emulator_with());
    server_process s(f);
    BOOST_TEST(view(exchange_now(s.port, chat_request_text("emulator/echo", "warm up"))).content == "warm up");
    const std::uint64_t served = f.server.requests_served();
    const std::size_t before = s.rss_kib();
    const std::string prompt = words(100000, "w", 1000);
    asio::io_context io;
    tcp::socket socket(io);
    socket.open(tcp::v4());
    socket.set_option(asio::socket_base::receive_buffer_size(16 * 1024));
    socket.connect({asio::ip::make_address("127.0.0.1"), s.port});
    asio::write(socket, asio::buffer(chat_request_text("emulator/echo", prompt)));
    // Once the answer streams (its first token counted), the server relays
    // what the sockets take, then waits: its memory stops changing (later
    // under a sanitizer, where every step is slower).
    const auto tokens_seen = [&] {
        const std::string metrics = view(exchange_now(s.port, get_request_text("/metrics"))).body;
        return sample(metrics, "dgrid_time_to_first_token_seconds_count").value_or(0);
    };
    BOOST_TEST_REQUIRE(eventually([&] { return tokens_seen() >= 2; }, 60s));
    std::size_t stalled = s.rss_kib();
    BOOST_TEST(eventually(
        [&] {
            std::this_thread::sleep_for(500ms);
            const std::size_t now = s.rss_kib();
            return std::exchange(stalled, now) + 128 > now;
        },
        60s));
    std::this_thread::sleep_for(1500ms);
    const std::size_t later = s.rss_kib();
    BOOST_TEST_MESSAGE("server RSS " << before << " KiB before, " << stalled << " then " << later
                                     << " KiB while the browser reads nothing");
    // The emulator is still writing the stream: the server does not read it
    // ahead of the browser. (It could send 15 MB a second.)
    BOOST_TEST(f.server.requests_served() == served);
    // And the server's memory stays where the request (half a megabyte of
    // prompt, held in a few forms; more under a sanitizer) put it.
    BOOST_TEST(later < stalled + 256);
    // Then it reads: the whole answer arrives.
    std::string response;
    dgrid::error_code ec;
    asio::read(socket, asio::dynamic_buffer(response), ec);
    const response_view whole = view(response);
    BOOST_TEST(whole.last_event == "done");
    BOOST_TEST(whole.content == prompt);
    BOOST_TEST(f.server.requests_served() == served + 1);
}

BOOST_AUTO_TEST_CASE(each_browser_request_has_a_deadline) {
    // 100 ms a token, 40 tokens: four seconds; the server gives each call 0.5 s.
    emulator_fixture f(emulator_with(100ms));
    server_process s(f, {"--request-timeout", "0.5"});
    const auto asked = std::chrono::steady_clock::now();
    const response_view late = view(exchange_now(s.port, chat_request_text("emulator/echo", words(40, "t"))));
    BOOST_TEST((std::chrono::steady_clock::now() - asked < 3s));
    BOOST_TEST(late.status == 200); // the events had begun
    BOOST_TEST(late.last_event == "error", late.body);
    BOOST_TEST(late.deltas < 40u);
    BOOST_TEST(!late.last_data.at("error").at("message").as_string().empty());
    const std::string metrics = view(exchange_now(s.port, get_request_text("/metrics"))).body;
    BOOST_TEST(metrics.find("dgrid_errors_total{code=\"total_timeout\"} 1\n") != std::string::npos, metrics);
}

BOOST_AUTO_TEST_CASE(shutdown_lets_the_answers_under_way_finish) {
    // 50 ms a token, 40 tokens: the answers take two seconds.
    emulator_fixture f(emulator_with(50ms));
    server_process s(f);
    const std::string prompt = words(40, "t");
    constexpr int browsers = 5;
    asio::io_context io;
    std::vector<response_view> answers;
    start_browsers(io, s.port, std::vector<std::string>(browsers, chat_request_text("emulator/echo", prompt)), answers);
    std::thread browsers_thread([&io] { io.run(); });
    // Once every answer is under way (a connection each).
    BOOST_TEST(eventually([&] { return f.server.connections_accepted() >= browsers; }));
    std::this_thread::sleep_for(300ms);
    const auto asked = std::chrono::steady_clock::now();
    BOOST_TEST(s.terminate() == 0);
    BOOST_TEST((std::chrono::steady_clock::now() - asked < 8s));
    browsers_thread.join();
    for (const response_view& a : answers) {
        BOOST_TEST(a.last_event == "done", a.body.substr(0, 300));
        BOOST_TEST(a.content == prompt);
    }
    // The client closed its connections as it ended.
    BOOST_TEST(eventually([&] { return f.server.open_connections() == 0; }, 3s));
}
