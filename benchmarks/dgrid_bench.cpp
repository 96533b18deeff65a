// dgrid-cpp client for the side-by-side peers harness (../shared/peers; see
// README.md in this directory). Uses the public API the way a user would: one
// io_context on one thread, one dgrid::client, CONCURRENCY worker coroutines.
//
//   dgrid_bench BASE_URL plain|stream TOTAL CONCURRENCY [CAP_S] [WARMUP]
//
// Environment: BENCH_CA (else SSL_CERT_FILE) is the CA file to trust,
// BODIES_DIR holds expected_plain.txt, expected_stream.txt and meta.json;
// optional BENCH_REQUESTS_PER_CONNECTION (pool.max_requests_per_connection),
// BENCH_TLS_RESUMPTION=0|1 (client_options::tls_session_resumption) and
// BENCH_THREAD_SAFE=0|1 (client_options::thread_safe, 0 by default here).
// Prints "PHASE start", "PHASE end" around the timed phase, then one JSON line
// with the keys of node/bench.mjs. CPU figures cover the timed phase only
// (getrusage difference); max_rss_kb is the process peak.

#include <dgrid/dgrid.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

struct config {
    std::string base_url;
    bool stream = false;
    std::size_t total = 1000;
    std::size_t concurrency = 1;
    double cap_s = 60;
    std::size_t warmup = 0;
    std::string expected;           // expected text of every answer
    std::size_t stream_events = 0;  // chunks per stream (meta.json), 0 = unknown
    std::int64_t stream_tokens = 0; // usage.completion_tokens of a stream (meta.json)
};

// One phase (warm-up or timed): workers take requests from a shared counter
// until the count, the deadline or 100 errors are reached.
struct phase {
    std::size_t count = 0;
    clock_type::time_point deadline;
    std::vector<double>* latencies = nullptr; // ms; null during warm-up

    std::size_t next = 0;
    std::size_t ok = 0;
    std::size_t errors = 0;
    std::size_t chunks = 0;
    std::string first_error;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

dgrid::chat_request make_request() {
    dgrid::chat_request request;
    request.model = "gpt-4o-mini";
    request.messages.push_back(dgrid::message::user("Write a short story."));
    request.max_tokens = 256;
    return request;
}

// One non-streamed request; returns an error text, empty on success.
asio::awaitable<std::string> one_plain(dgrid::client& client, const config& cfg) {
    dgrid::chat_request request = make_request();
    dgrid::chat_completion answer = co_await client.async_chat(std::move(request));
    if (answer.choices.empty() || answer.choices.front().message.text() != cfg.expected)
        co_return "plain content mismatch";
    if (!answer.usage || answer.choices.front().finish_reason.value_or("") != "stop")
        co_return "plain usage/finish missing";
    co_return std::string();
}

// One streamed request: every chunk pulled, its delta.content appended.
asio::awaitable<std::string> one_stream(dgrid::client& client, const config& cfg, std::size_t& chunks) {
    dgrid::chat_request request = make_request();
    dgrid::chat_stream stream = co_await client.async_chat_stream(std::move(request));
    std::string text;
    text.reserve(cfg.expected.size());
    std::size_t n = 0;
    while (co_await stream.async_next()) {
        ++n;
        text += stream.chunk().text();
    }
    chunks = n;
    if (text != cfg.expected)
        co_return "stream text mismatch (" + std::to_string(text.size()) + " vs " +
            std::to_string(cfg.expected.size()) + " bytes)";
    const dgrid::chat_completion& answer = stream.completion();
    const bool finish_ok = !answer.choices.empty() && answer.choices.front().finish_reason.value_or("") == "stop";
    const bool usage_ok = answer.usage && answer.usage->completion_tokens &&
                          (cfg.stream_tokens == 0 || *answer.usage->completion_tokens == cfg.stream_tokens);
    if ((cfg.stream_events && n != cfg.stream_events) || !finish_ok || !usage_ok)
        co_return "stream shape mismatch: chunks=" + std::to_string(n) + " finish=" + (finish_ok ? "ok" : "bad") +
            " usage=" + (usage_ok ? "ok" : "bad");
    co_return std::string();
}

asio::awaitable<void> worker(dgrid::client& client, const config& cfg, phase& ph) {
    while (ph.next < ph.count && clock_type::now() < ph.deadline && ph.errors < 100) {
        ++ph.next;
        const auto start = clock_type::now();
        std::string error;
        std::size_t chunks = 0;
        try {
            if (cfg.stream)
                error = co_await one_stream(client, cfg, chunks);
            else
                error = co_await one_plain(client, cfg);
        } catch (const std::exception& e) {
            error = e.what();
            if (error.empty())
                error = "exception";
        }
        if (!error.empty()) {
            ++ph.errors;
            if (ph.first_error.empty())
                ph.first_error = std::move(error);
            continue;
        }
        ++ph.ok;
        ph.chunks += chunks;
        if (ph.latencies)
            ph.latencies->push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
    }
}

void run_phase(asio::io_context& io, dgrid::client& client, const config& cfg, phase& ph) {
    const std::size_t workers = std::min(cfg.concurrency, ph.count);
    for (std::size_t i = 0; i < workers; ++i)
        asio::co_spawn(io, worker(client, cfg, ph), [&ph](std::exception_ptr e) {
            if (!e)
                return;
            ++ph.errors;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                if (ph.first_error.empty())
                    ph.first_error = std::string("worker died: ") + ex.what();
            }
        });
    io.restart();
    io.run();
}

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

double round3(double x) { return std::round(x * 1000) / 1000; }

boost::json::value pct(const std::vector<double>& sorted, double p) {
    if (sorted.empty())
        return nullptr;
    const auto i = std::min(sorted.size() - 1, static_cast<std::size_t>(p / 100 * static_cast<double>(sorted.size())));
    return round3(sorted[i]);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 5 || (std::string(argv[2]) != "plain" && std::string(argv[2]) != "stream")) {
        std::cerr << "usage: dgrid_bench BASE_URL plain|stream TOTAL CONCURRENCY [CAP_S] [WARMUP]\n";
        return 2;
    }
    config cfg;
    cfg.base_url = argv[1];
    cfg.stream = std::string(argv[2]) == "stream";
    cfg.total = std::max<std::size_t>(1, std::strtoull(argv[3], nullptr, 10));
    cfg.concurrency = std::max<std::size_t>(1, std::strtoull(argv[4], nullptr, 10));
    cfg.cap_s = argc > 5 ? std::strtod(argv[5], nullptr) : 60.0;
    cfg.warmup =
        std::min(cfg.total, argc > 6 ? static_cast<std::size_t>(std::strtoull(argv[6], nullptr, 10)) : cfg.concurrency);

    // A hang in the library must not go unnoticed: report and exit before the
    // driver's kill at CAP_S + 60 s.
    std::atomic<const dgrid::client*> watched{nullptr};
    std::thread([&watched, cap = cfg.cap_s] {
        std::this_thread::sleep_for(std::chrono::duration<double>(cap + 45));
        std::string msg = "hard timeout";
        if (const dgrid::client* c = watched.load()) {
            const dgrid::pool_stats s = c->stats();
            msg += ": pool open=" + std::to_string(s.open) + " idle=" + std::to_string(s.idle) +
                   " waiting=" + std::to_string(s.waiting);
        }
        std::cerr << msg << std::endl;
        std::printf(
            "{\"ok\":0,\"errors\":-1,\"verified\":false,\"first_error\":\"%s\",\"version\":\"dgrid-cpp 0.1\"}\n",
            msg.c_str());
        std::fflush(stdout);
        _exit(3);
    }).detach();

    try {
        const char* bodies_env = std::getenv("BODIES_DIR");
        const std::string bodies = bodies_env ? bodies_env : "run/bodies";
        cfg.expected = read_file(bodies + (cfg.stream ? "/expected_stream.txt" : "/expected_plain.txt"));
        try {
            const boost::json::value meta = boost::json::parse(read_file(bodies + "/meta.json"));
            cfg.stream_events = static_cast<std::size_t>(meta.at("stream_events").to_number<std::int64_t>());
            cfg.stream_tokens = meta.at("tokens").to_number<std::int64_t>();
        } catch (const std::exception&) {
            // meta.json is optional: the text comparison still verifies.
        }

        dgrid::client_options options;
        options.base_url = cfg.base_url;
        options.api_key = "bench";
        if (const char* ca = std::getenv("BENCH_CA"))
            options.ca_file = ca;
        else if (const char* ca2 = std::getenv("SSL_CERT_FILE"))
            options.ca_file = ca2;
        options.pool.max_size = cfg.concurrency;
        // Handshake figures: a new connection per request, with or without
        // TLS session resumption.
        if (const char* n = std::getenv("BENCH_REQUESTS_PER_CONNECTION"))
            options.pool.max_requests_per_connection = std::strtoul(n, nullptr, 10);
        if (const char* resume = std::getenv("BENCH_TLS_RESUMPTION"))
            options.tls_session_resumption = std::string_view(resume) != "0";
        // One thread runs the io_context below: no strands are needed, as a
        // user of a single-threaded program would set. BENCH_THREAD_SAFE=1
        // measures the default.
        options.thread_safe = false;
        if (const char* safe = std::getenv("BENCH_THREAD_SAFE"))
            options.thread_safe = std::string_view(safe) != "0";
        options.retry.max_retries = 0;
        options.timeouts.headers = std::chrono::seconds(30);
        options.timeouts.total = std::chrono::seconds(30);
        options.timeouts.stream_idle = std::chrono::seconds(30);

        asio::io_context io(1);
        dgrid::client client(io, options);
        watched = &client;

        if (cfg.warmup > 0) {
            phase warm;
            warm.count = cfg.warmup;
            warm.deadline = clock_type::now() + std::chrono::seconds(15);
            run_phase(io, client, cfg, warm);
            if (warm.errors)
                std::cerr << "warm-up: " << warm.errors << " errors, first: " << warm.first_error << '\n';
        }

        std::vector<double> latencies;
        latencies.reserve(cfg.total);
        phase timed;
        timed.count = cfg.total;
        timed.latencies = &latencies;

        std::cout << "PHASE start" << std::endl;
        rusage ru0{};
        getrusage(RUSAGE_SELF, &ru0);
        const auto t0 = clock_type::now();
        timed.deadline =
            t0 + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(cfg.cap_s));
        run_phase(io, client, cfg, timed);
        const double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
        rusage ru1{};
        getrusage(RUSAGE_SELF, &ru1);
        std::cout << "PHASE end" << std::endl;

        std::sort(latencies.begin(), latencies.end());
        boost::json::object out;
        out["client"] = "dgrid-cpp";
        out["version"] = "dgrid-cpp 0.1";
        out["mode"] = cfg.stream ? "stream" : "plain";
        out["concurrency"] = cfg.concurrency;
        out["requested"] = cfg.total;
        out["warmup"] = cfg.warmup;
        out["ok"] = timed.ok;
        out["errors"] = timed.errors;
        if (!timed.first_error.empty())
            out["first_error"] = timed.first_error;
        else
            out["first_error"] = nullptr;
        out["wall_s"] = round3(wall);
        out["rps"] = round3(static_cast<double>(timed.ok) / wall);
        out["chunks"] = timed.chunks;
        out["chunks_per_s"] = round3(static_cast<double>(timed.chunks) / wall);
        out["p50_ms"] = pct(latencies, 50);
        out["p99_ms"] = pct(latencies, 99);
        out["cpu_user_s"] = round3(seconds(ru1.ru_utime) - seconds(ru0.ru_utime));
        out["cpu_sys_s"] = round3(seconds(ru1.ru_stime) - seconds(ru0.ru_stime));
        out["max_rss_kb"] = ru1.ru_maxrss;
        out["verified"] = timed.errors == 0 && timed.ok > 0;
        std::cout << boost::json::serialize(out) << std::endl;
        watched = nullptr;
        return timed.errors == 0 && timed.ok > 0 ? 0 : 1;
    } catch (const std::exception& e) {
        watched = nullptr;
        std::cerr << "dgrid_bench: " << e.what() << '\n';
        boost::json::object out;
        out["ok"] = 0;
        out["errors"] = -1;
        out["verified"] = false;
        out["first_error"] = e.what();
        out["version"] = "dgrid-cpp 0.1";
        std::cout << boost::json::serialize(out) << std::endl;
        return 1;
    }
}
