// Heap allocations of steady-state streaming, end to end: the global
// operator new is replaced by a counting one, and OpenSSL's allocator too
// (CRYPTO_set_mem_functions). A warmed-up client streams REQUESTS answers one
// after the other; in each, the allocations made while the caller pulls
// deltas 21 to the last-but-three are counted (not the request, the headers
// or the end of the stream). Prints one JSON line: allocations per delta,
// by operator new and by OpenSSL, and how many deltas allocated at all (the
// ones whose async_next had to read the socket).
//
//   alloc_bench BASE_URL CA_FILE [REQUESTS]
//
// Against the peers' nginx (benchmarks/README.md) or the emulator:
//   alloc_bench https://127.0.0.1:8443/stream/v1 ../shared/peers/certs/ca.crt
// (the model and a long prompt are sent; nginx ignores them).

#include <dgrid/dgrid.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/crypto.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

namespace {

std::atomic<std::size_t> new_calls{0};
std::atomic<std::size_t> new_bytes{0};
std::atomic<std::size_t> openssl_calls{0};

void* counted_malloc(std::size_t n) {
    new_calls.fetch_add(1, std::memory_order_relaxed);
    new_bytes.fetch_add(n, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}

void* openssl_malloc(std::size_t n, const char*, int) {
    openssl_calls.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n);
}

void* openssl_realloc(void* p, std::size_t n, const char*, int) {
    openssl_calls.fetch_add(1, std::memory_order_relaxed);
    return std::realloc(p, n);
}

void openssl_free(void* p, const char*, int) { std::free(p); }

} // namespace

void* operator new(std::size_t n) { return counted_malloc(n); }
void* operator new[](std::size_t n) { return counted_malloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return counted_malloc(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void* operator new(std::size_t n, std::align_val_t a) {
    new_calls.fetch_add(1, std::memory_order_relaxed);
    new_bytes.fetch_add(n, std::memory_order_relaxed);
    const auto align = static_cast<std::size_t>(a);
    if (void* p = std::aligned_alloc(align, (n + align - 1) / align * align))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

namespace asio = boost::asio;

struct totals {
    std::size_t deltas = 0;
    std::size_t new_calls = 0;
    std::size_t new_bytes = 0;
    std::size_t openssl_calls = 0;
    std::size_t streams = 0;
    std::size_t deltas_allocating = 0; // deltas during whose async_next something was allocated
};

dgrid::chat_request long_answer() {
    std::string words;
    for (int i = 0; i < 400; ++i)
        words += "word" + std::to_string(i) + " ";
    dgrid::chat_request request;
    request.model = "emulator/echo";
    request.messages.push_back(dgrid::message::user(words));
    return request;
}

asio::awaitable<void> run(dgrid::client& client, std::size_t requests, totals& out) {
    constexpr std::size_t skip_first = 20;           // request, headers, first reads
    constexpr std::size_t skip_last = 3;             // finish, usage, [DONE]
    for (std::size_t r = 0; r < requests + 1; ++r) { // the first one warms up
        const dgrid::chat_request request = long_answer();
        dgrid::request_options no_delay;
        no_delay.extra_headers.push_back({"X-Emulator-Token-Delay-Ms", "0"});
        dgrid::chat_stream stream = co_await client.async_chat_stream(request, no_delay);
        // Counts are taken per delta and kept only for the middle of the stream.
        std::vector<std::array<std::size_t, 3>> marks;
        marks.reserve(1024);
        marks.push_back({new_calls.load(), new_bytes.load(), openssl_calls.load()});
        while (co_await stream.async_next())
            marks.push_back({new_calls.load(), new_bytes.load(), openssl_calls.load()});
        if (r == 0 || marks.size() <= skip_first + skip_last + 1)
            continue;
        const auto& begin = marks[skip_first];
        const auto& end = marks[marks.size() - 1 - skip_last];
        out.deltas += marks.size() - 1 - skip_last - skip_first;
        out.new_calls += end[0] - begin[0];
        out.new_bytes += end[1] - begin[1];
        out.openssl_calls += end[2] - begin[2];
        for (std::size_t i = skip_first + 1; i < marks.size() - skip_last; ++i)
            if (marks[i][0] != marks[i - 1][0])
                ++out.deltas_allocating;
        ++out.streams;
    }
}

} // namespace

int main(int argc, char** argv) {
    // Before OpenSSL allocates anything.
    CRYPTO_set_mem_functions(openssl_malloc, openssl_realloc, openssl_free);
    if (argc < 3) {
        std::cerr << "usage: alloc_bench BASE_URL CA_FILE [REQUESTS]\n";
        return 2;
    }
    const std::size_t requests = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 20;
    try {
        asio::io_context io(1);
        dgrid::client_options options;
        options.base_url = argv[1];
        options.api_key = std::getenv("DGRID_EMULATOR_KEY") ? std::getenv("DGRID_EMULATOR_KEY") : "bench";
        options.ca_file = argv[2];
        options.retry.max_retries = 0;
        dgrid::client client(io, options);
        totals t;
        std::exception_ptr failure;
        asio::co_spawn(io, run(client, requests, t), [&](std::exception_ptr e) { failure = e; });
        io.run();
        if (failure)
            std::rethrow_exception(failure);
        auto per = [&](std::size_t n) {
            return t.deltas ? static_cast<double>(n) / static_cast<double>(t.deltas) : 0.0;
        };
        boost::json::object out;
        out["streams"] = t.streams;
        out["deltas_counted"] = t.deltas;
        out["operator_new_per_delta"] = per(t.new_calls);
        out["operator_new_bytes_per_delta"] = per(t.new_bytes);
        out["openssl_allocs_per_delta"] = per(t.openssl_calls);
        out["operator_new_total"] = t.new_calls;
        // The deltas that allocated at all: those that had to read the socket.
        out["deltas_allocating"] = t.deltas_allocating;
        out["operator_new_per_allocating_delta"] =
            t.deltas_allocating ? static_cast<double>(t.new_calls) / static_cast<double>(t.deltas_allocating) : 0.0;
        std::cout << boost::json::serialize(out) << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "alloc_bench: " << e.what() << "\n";
        return 1;
    }
}
