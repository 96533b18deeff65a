// How one client scales with open streams: N slow streams at once against
// the DGrid emulator (one token per SCALE_TOKEN_DELAY_MS each), held open
// for SCALE_HOLD_S seconds, then dropped. Prints one JSON line: the streams
// opened, resident memory per open stream (RSS growth from after one warm-up
// request to the end of the hold, TLS included), and client CPU per delta
// while they stream.
//
//   scale_bench BASE_URL CA_FILE N
//
// One N per process, so that memory freed by a larger run does not hide in
// a smaller one's figure; benchmarks/run_scale.sh runs the table.

#include <dgrid/dgrid.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

std::size_t env_or(const char* name, std::size_t fallback) {
    const char* v = std::getenv(name);
    return v ? std::strtoul(v, nullptr, 10) : fallback;
}

// Resident set size now, in KiB.
std::size_t rss_kib() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0;
    std::size_t resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

// Heap in use now (glibc, all arenas, mmapped blocks included), in KiB: the
// allocations themselves, without the free space between them that RSS holds.
std::size_t heap_kib() {
    struct mallinfo2 info = mallinfo2();
    return (info.uordblks + info.hblkhd) / 1024;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

struct run_state {
    std::size_t opened = 0;   // streams that read their first token
    std::size_t finished = 0; // coroutines done
    std::size_t failed = 0;
    std::size_t deltas = 0;
    std::string first_error;
    bool stop = false;
};

// A long answer: the emulator's echo model streams it back word by word
// (300 words: five minutes at one token per second).
dgrid::chat_request slow_request() {
    std::string words;
    for (int i = 0; i < 300; ++i)
        words += "word" + std::to_string(i) + " ";
    dgrid::chat_request request;
    request.model = "emulator/echo";
    request.messages.push_back(dgrid::message::user(words));
    return request;
}

// Asks the emulator to wait `token_delay_ms` before each token.
dgrid::request_options token_delay(std::size_t token_delay_ms) {
    dgrid::request_options options;
    options.extra_headers.push_back({"X-Emulator-Token-Delay-Ms", std::to_string(token_delay_ms)});
    return options;
}

asio::awaitable<void> one_stream(dgrid::client& client, std::size_t token_delay_ms, run_state& state) {
    try {
        const dgrid::chat_request request = slow_request();
        const dgrid::request_options options = token_delay(token_delay_ms);
        dgrid::chat_stream stream = co_await client.async_chat_stream(request, options);
        bool first = true;
        while (!state.stop && co_await stream.async_next()) {
            if (!stream.chunk().text().empty()) {
                if (first)
                    ++state.opened;
                first = false;
                ++state.deltas;
            }
        }
    } catch (const std::exception& e) {
        if (!state.stop) {
            ++state.failed;
            if (state.first_error.empty())
                state.first_error = e.what();
        }
    }
    ++state.finished;
}

// Runs `io` until `done()` or `limit` passed.
template <class Done>
void run_until(asio::io_context& io, Done done, clock_type::duration limit) {
    const auto deadline = clock_type::now() + limit;
    while (!done() && clock_type::now() < deadline) {
        io.restart();
        io.run_for(std::chrono::milliseconds(50));
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: scale_bench BASE_URL CA_FILE N\n";
        return 2;
    }
    const std::size_t n = std::strtoul(argv[3], nullptr, 10);
    const std::size_t token_delay_ms = env_or("SCALE_TOKEN_DELAY_MS", 1000);
    const std::size_t hold_s = env_or("SCALE_HOLD_S", 10);
    const std::size_t open_limit_s = env_or("SCALE_OPEN_LIMIT_S", 180);
    try {
        asio::io_context io(1);
        const std::size_t rss_before = rss_kib();
        dgrid::client_options options;
        options.base_url = argv[1];
        options.api_key = std::getenv("DGRID_EMULATOR_KEY") ? std::getenv("DGRID_EMULATOR_KEY") : "emulator-key";
        options.ca_file = argv[2];
        options.pool.max_size = n;
        options.pool.connect_timeout = std::chrono::seconds(60);
        options.timeouts.headers = std::chrono::seconds(120);
        options.timeouts.stream_idle = std::chrono::seconds(60);
        // Retries as by default: 10,000 connections at once overflow the
        // emulator's accept queue, and a reset handshake is sent again.
        dgrid::client client(io, options);
        // One request first: what every stream shares (TLS context, trusted
        // certificates, allocator arenas) is not counted per stream.
        asio::co_spawn(io, client.async_list_models(), [](std::exception_ptr, dgrid::model_list) {});
        io.run();
        const std::size_t rss_warm = rss_kib();
        const std::size_t heap_warm = heap_kib();

        run_state state;
        const auto open_start = clock_type::now();
        for (std::size_t i = 0; i < n; ++i)
            asio::co_spawn(io, one_stream(client, token_delay_ms, state), asio::detached);
        run_until(
            io, [&] { return state.opened + state.failed >= n; }, std::chrono::seconds(open_limit_s));
        const double open_s = std::chrono::duration<double>(clock_type::now() - open_start).count();
        const std::size_t rss_open = rss_kib();

        const double cpu0 = cpu_seconds();
        const std::size_t deltas0 = state.deltas;
        const auto hold_start = clock_type::now();
        io.restart();
        io.run_for(std::chrono::seconds(hold_s));
        const double hold = std::chrono::duration<double>(clock_type::now() - hold_start).count();
        const double cpu = cpu_seconds() - cpu0;
        const std::size_t deltas = state.deltas - deltas0;
        const std::size_t rss_hold = rss_kib();
        const std::size_t heap_hold = heap_kib();

        state.stop = true;
        client.cancel();
        run_until(
            io, [&] { return state.finished == n; }, std::chrono::seconds(60));

        boost::json::object out;
        out["streams"] = n;
        out["opened"] = state.opened;
        out["failed"] = state.failed;
        out["first_error"] = state.first_error;
        out["open_s"] = open_s;
        out["rss_before_kib"] = rss_before;
        out["rss_open_kib"] = rss_open;
        out["rss_hold_kib"] = rss_hold;
        out["rss_warm_kib"] = rss_warm;
        out["kib_per_stream"] =
            n ? (static_cast<double>(rss_hold) - static_cast<double>(rss_warm)) / static_cast<double>(n) : 0.0;
        out["heap_kib_per_stream"] =
            n ? (static_cast<double>(heap_hold) - static_cast<double>(heap_warm)) / static_cast<double>(n) : 0.0;
        out["deltas"] = deltas;
        out["deltas_per_s"] = static_cast<double>(deltas) / hold;
        out["cpu_s"] = cpu;
        out["cpu_us_per_delta"] = deltas ? cpu * 1e6 / static_cast<double>(deltas) : 0.0;
        out["tls_handshakes"] = client.stats().tls_handshakes;
        out["tls_resumed"] = client.stats().tls_resumed;
        std::cout << boost::json::serialize(out) << std::endl;
        return state.failed == 0 && state.opened == n ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "scale_bench: " << e.what() << "\n";
        return 1;
    }
}
