// A bounded soak: 105,000 requests, 256 at a time, through one client against
// the in-process TLS emulator, half of them streamed and one in five asked to
// misbehave (error statuses, resets, broken streams, closes, wire quirks).
// Every request must complete exactly once, with the echoed text or the error
// its fault calls for, and the client must give back what it took:
// connections, file descriptors and memory. A wall-clock cap turns a hang
// into a failure instead of a stuck CI job.

#define BOOST_TEST_MODULE dgrid soak tests
#include <boost/test/unit_test.hpp>

#include "fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace dgrid;
using namespace dgrid::test;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

namespace {

constexpr std::size_t concurrency = 256; // worker coroutines, each looping over its share
constexpr std::size_t pool_size = 64;
constexpr std::size_t warm_up_requests = 5'000;
constexpr std::size_t phase_requests = 50'000; // each of the two measured phases
constexpr auto wall_clock_cap = 240s;          // the whole test case; a normal run takes a fraction
constexpr std::size_t rss_growth_limit = 64u << 20;

// ---- The fault mix

// What a request must end with.
struct expectation {
    enum kind { answer, this_error, some_error } what = answer;
    error code{};
};

constexpr expectation answer{};
constexpr expectation fails{expectation::some_error, {}};
constexpr expectation fails_with(error e) { return {expectation::this_error, e}; }

struct fault_kind {
    const char* header;   // X-Emulator-Fault; empty for a clean request
    unsigned per_mille;   // share of the requests
    expectation plain;    // async_chat ignores the stream-only faults
    expectation streamed; // async_chat_stream, then async_next to the end
};

// Faults that cost the connection (resets, broken streams, closes) cost a TLS
// handshake each, the bulk of the run's CPU time, so they get small shares;
// byte-at-a-time writes one TLS record per byte, so it stays rare.
constexpr std::array faults{
    fault_kind{"", 800, answer, answer},
    fault_kind{"status=429", 25, fails_with(error::rate_limited), fails_with(error::rate_limited)},
    fault_kind{"status=500", 20, fails_with(error::internal_server_error), fails_with(error::internal_server_error)},
    fault_kind{"status=503", 20, fails_with(error::service_unavailable), fails_with(error::service_unavailable)},
    fault_kind{"status=502", 15, fails_with(error::bad_gateway), fails_with(error::bad_gateway)},
    fault_kind{"reset-before-headers", 10, fails, fails},
    fault_kind{"reset-mid-body", 10, fails, fails},
    fault_kind{"stream-error=2", 15, answer, fails_with(error::stream_error)},
    fault_kind{"stream-cut=2", 15, answer, fails_with(error::stream_truncated)},
    fault_kind{"stream-reset=2", 10, answer, fails},
    fault_kind{"close-after-response", 10, answer, answer},
    fault_kind{"keepalive", 20, answer, answer},
    fault_kind{"crlf", 20, answer, answer},
    fault_kind{"keepalive,crlf,multi-data,no-space", 9, answer, answer},
    fault_kind{"byte-at-a-time", 1, answer, answer},
};

constexpr unsigned total_per_mille() {
    unsigned sum = 0;
    for (const auto& f : faults)
        sum += f.per_mille;
    return sum;
}
static_assert(total_per_mille() == 1000);

struct request_plan {
    const fault_kind* fault;
    bool streamed;
};

// splitmix64: a fixed, well-spread function of the request id, so a failing
// run is reproduced by the same id.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

request_plan plan_for(std::size_t id) {
    const std::uint64_t h = mix(id);
    auto slot = static_cast<unsigned>(h % 1000);
    const bool streamed = ((h >> 32) & 1u) != 0;
    for (const auto& f : faults) {
        if (slot < f.per_mille)
            return {&f, streamed};
        slot -= f.per_mille;
    }
    return {&faults.front(), streamed}; // unreachable: the shares add up to 1000
}

// Six tokens, so that the faults striking after two of them land mid-stream.
std::string text_for(std::size_t id) { return "soak " + std::to_string(id) + " one two three four"; }

// ---- One request (chat_once and stream_once: fixture.hpp)

bool meets(const expectation& expected, const call_result& got, const std::string& text) {
    if (!got.ec)
        return expected.what == expectation::answer && got.text == text;
    switch (expected.what) {
    case expectation::answer: return false;
    case expectation::this_error: return got.ec == expected.code;
    case expectation::some_error: return true;
    }
    return false;
}

std::string describe_expectation(const expectation& expected) {
    switch (expected.what) {
    case expectation::answer: return "the answer";
    case expectation::this_error: return make_error_code(expected.code).message();
    case expectation::some_error: return "any error";
    }
    return {};
}

// ---- One phase

// What the workers of a phase share; each request index belongs to one worker.
struct phase_state {
    phase_state(std::size_t first, std::size_t n) : first_id(first), count(n), completions(n) {}

    // Called once per completed request, from any io thread.
    void record(std::size_t id, const request_plan& plan, const call_result& got, const std::string& text) {
        (got.ec ? failed : answered).fetch_add(1, std::memory_order_relaxed);
        const expectation& expected = plan.streamed ? plan.fault->streamed : plan.fault->plain;
        if (meets(expected, got, text))
            return;
        std::ostringstream out;
        out << "request " << id << " (" << (plan.streamed ? "streamed" : "plain") << ", fault '" << plan.fault->header
            << "'): expected " << describe_expectation(expected) << ", got "
            << (got.ec ? got.ec.message() + " [" + got.ec.category().name() + "]" : "'" + got.text + "'")
            << " http_status=" << got.diag.http_status << " message='" << got.diag.message << "'";
        note(out.str());
    }

    // Keeps the first few problems for the log; all of them count.
    void note(std::string problem) {
        std::lock_guard lock(mutex);
        if (problems.size() < 10)
            problems.push_back(std::move(problem));
        ++problem_count;
    }

    const std::size_t first_id;
    const std::size_t count;
    std::vector<std::atomic<int>> completions; // by index: each must end at exactly 1
    std::atomic<std::size_t> answered{0};
    std::atomic<std::size_t> failed{0};
    std::mutex mutex;
    std::vector<std::string> problems; // the first few, for the log
    std::size_t problem_count = 0;
};

asio::awaitable<void> worker(client& c, phase_state& state, std::size_t first_index) {
    for (std::size_t i = first_index; i < state.count; i += concurrency) {
        const std::size_t id = state.first_id + i;
        const request_plan plan = plan_for(id);
        const std::string text = text_for(id);
        test_call request = echo_request(text);
        if (*plan.fault->header != '\0')
            request = with_fault(std::move(request), plan.fault->header);
        call_result got;
        if (plan.streamed)
            got = co_await stream_once(c, std::move(request));
        else
            got = co_await chat_once(c, std::move(request));
        state.completions[i].fetch_add(1, std::memory_order_relaxed);
        state.record(id, plan, got, text);
    }
}

std::string what(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "an unknown exception";
    }
}

// Runs the phase's workers on `io` from two threads. Returns false when the
// deadline struck first: the watchdog then stops the context, so a hung
// request fails the test instead of hanging it.
bool run_workers(asio::io_context& io, client& c, phase_state& state, steady_clock::time_point deadline) {
    auto strand = asio::make_strand(io);
    asio::steady_timer watchdog(strand, deadline);
    std::atomic<bool> timed_out{false};
    std::atomic<std::size_t> workers_left{concurrency};
    watchdog.async_wait([&](error_code ec) {
        if (!ec) {
            timed_out = true;
            io.stop();
        }
    });
    for (std::size_t w = 0; w < concurrency; ++w) {
        asio::co_spawn(io, worker(c, state, w), [&](std::exception_ptr e) {
            if (e)
                state.note("a worker threw: " + what(e));
            // The watchdog is the last work keeping the context running.
            if (--workers_left == 0)
                asio::post(strand, [&] { watchdog.cancel(); });
        });
    }
    {
        std::jthread first([&] { io.run(); });
        std::jthread second([&] { io.run(); });
    }
    return !timed_out;
}

// ---- What the process holds

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t size_pages = 0;
    std::size_t resident_pages = 0;
    statm >> size_pages >> resident_pages;
    return resident_pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

double mib(std::size_t bytes) { return static_cast<double>(bytes) / (1u << 20); }

template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit) {
    const auto end = steady_clock::now() + limit;
    while (!done() && steady_clock::now() < end)
        std::this_thread::sleep_for(10ms);
    return done();
}

struct phase_figures {
    double seconds = 0;
    std::size_t rss_bytes = 0; // after the phase's requests, client and emulator still up
};

// One emulator (2 threads, closing each connection after 50 responses, with or
// without saying so) and one client of it (pool of 64, short timeouts) serve
// requests [first_id, first_id + count); then everything is checked and torn down.
phase_figures run_phase(const char* name, bool announce_close, std::size_t first_id, std::size_t count,
                        steady_clock::time_point deadline) {
    phase_state state(first_id, count);
    auto server_options = emulator_defaults();
    server_options.threads = 2;
    server_options.max_requests_per_connection = 50;
    server_options.announce_close = announce_close;
    emulator_fixture f(server_options);

    auto options = f.client_options_for();
    options.pool.max_size = pool_size;
    options.pool.connect_timeout = 2s;
    // No fault here stalls, so anything waiting this long is a client bug. A
    // byte-at-a-time stream may take longer than that as a whole under this
    // load, so streams keep no total deadline (the default) and stream_idle
    // catches a stalled one. The total of a call includes its wait for one
    // of the 64 connections (256 workers) and, byte at a time, some 800 TLS
    // records: 15 s leaves room for a shared 2-core machine.
    options.timeouts.headers = 5s;
    options.timeouts.stream_idle = 5s;
    options.timeouts.total = 15s;
    // A retry would resend the same fault after a backoff: slower, and the
    // outcome would no longer be the fault's own.
    options.retry.max_retries = 0;
    std::optional<client> c(std::in_place, f.io, options);

    const auto start = steady_clock::now();
    const bool finished = run_workers(f.io, *c, state, deadline);
    const std::chrono::duration<double> elapsed = steady_clock::now() - start;
    BOOST_REQUIRE_MESSAGE(finished, name << ": still running at the wall-clock cap; " << state.answered + state.failed
                                         << " of " << count << " requests done");

    // A request that never completed would have hung the phase up to the cap;
    // one that completed twice means a handler ran twice.
    std::size_t never = 0;
    std::size_t more_than_once = 0;
    std::optional<std::size_t> first_odd_id;
    for (std::size_t i = 0; i < count; ++i) {
        const int n = state.completions[i].load();
        never += n == 0;
        more_than_once += n > 1;
        if (n != 1 && !first_odd_id)
            first_odd_id = first_id + i;
    }
    for (const auto& problem : state.problems)
        BOOST_TEST_MESSAGE(name << ": " << problem);
    BOOST_TEST(never == 0u, name << ": requests that never completed, the first odd one " << first_odd_id.value_or(0));
    BOOST_TEST(more_than_once == 0u,
               name << ": requests that completed more than once, the first odd one " << first_odd_id.value_or(0));
    BOOST_TEST(state.problem_count == 0u, name << ": requests that ended otherwise than their fault says");

    const auto stats = c->stats();
    BOOST_TEST(stats.open <= pool_size);
    BOOST_TEST(stats.waiting == 0u);
    phase_figures figures{elapsed.count(), resident_bytes()};
    BOOST_TEST_MESSAGE(name << ": " << count << " requests in " << figures.seconds << " s (" << count / figures.seconds
                            << " req/s), " << state.answered << " answered, " << state.failed << " failed; "
                            << f.server.connections_accepted() << " connections accepted; pool open " << stats.open
                            << ", idle " << stats.idle << "; RSS " << mib(figures.rss_bytes) << " MiB");

    c.reset();
    // The server sees the client's sockets close on its own threads.
    BOOST_TEST(wait_until([&] { return f.server.open_connections() == 0; }, 2s),
               name << ": " << f.server.open_connections() << " connections still open on the server");
    return figures;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_hundred_thousand_faulty_requests_leave_nothing_behind) {
    const auto deadline = steady_clock::now() + wall_clock_cap;
    const std::size_t fds_before = open_fds();
    const std::size_t rss_before = resident_bytes();

    const auto warm_up = run_phase("warm-up", true, 0, warm_up_requests, deadline);
    const auto announced = run_phase("announced closes", true, warm_up_requests, phase_requests, deadline);
    const auto silent = run_phase("silent closes", false, warm_up_requests + phase_requests, phase_requests, deadline);

    const std::size_t fds_after = open_fds();
    const std::size_t rss_after = resident_bytes();
    const double seconds = announced.seconds + silent.seconds;
    BOOST_TEST_MESSAGE("soak: " << 2 * phase_requests << " requests in " << seconds << " s ("
                                << 2 * phase_requests / seconds << " req/s) after " << warm_up_requests
                                << " warm-up; RSS before " << mib(rss_before) << " MiB, after warm-up "
                                << mib(warm_up.rss_bytes) << " MiB, after the phases " << mib(announced.rss_bytes)
                                << " and " << mib(silent.rss_bytes) << " MiB, at the end " << mib(rss_after)
                                << " MiB; fds before " << fds_before << ", after " << fds_after);

    BOOST_TEST(fds_after <= fds_before + 2);
    BOOST_TEST(announced.rss_bytes <= warm_up.rss_bytes + rss_growth_limit);
    BOOST_TEST(silent.rss_bytes <= warm_up.rss_bytes + rss_growth_limit);
}
