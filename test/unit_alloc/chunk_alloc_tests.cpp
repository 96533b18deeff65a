// Proves that decoding stream chunks, and streaming from the emulator, make
// no heap allocation once warmed up. Its own executable: it replaces the
// global operator new, which would otherwise count (and slow down) every
// other test. Only the test's thread counts, not the emulator's.
#define BOOST_TEST_MODULE dgrid allocation tests
#include "fixture.hpp"

#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/diagnostics.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace {

// Counting is on only inside a measured block, and only on its thread.
thread_local bool counting = false;
thread_local std::size_t allocations = 0;

void* allocate(std::size_t n, std::size_t align) {
    if (counting)
        ++allocations;
    if (n == 0)
        n = 1;
    void* p = nullptr;
    if (align <= alignof(std::max_align_t))
        p = std::malloc(n);
    else if (posix_memalign(&p, align, n) != 0)
        p = nullptr;
    return p;
}

void* allocate_or_throw(std::size_t n, std::size_t align) {
    if (void* p = allocate(n, align))
        return p;
    throw std::bad_alloc();
}

// Counts allocations made while it lives.
class allocation_counter {
public:
    allocation_counter() {
        allocations = 0;
        counting = true;
    }
    ~allocation_counter() { counting = false; }
    allocation_counter(const allocation_counter&) = delete;
    allocation_counter& operator=(const allocation_counter&) = delete;

    std::size_t stop() {
        counting = false;
        return allocations;
    }
};

} // namespace

void* operator new(std::size_t n) { return allocate_or_throw(n, alignof(std::max_align_t)); }
void* operator new[](std::size_t n) { return allocate_or_throw(n, alignof(std::max_align_t)); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, alignof(std::max_align_t)); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, alignof(std::max_align_t)); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return allocate(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

// Deterministic pseudo-random numbers (no allocation, same run every time).
struct lcg {
    std::uint64_t state = 0x2545F4914F6CDD1Dull;
    std::size_t next(std::size_t bound) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<std::size_t>(state >> 33) % bound;
    }
};

// Text of `n` bytes with JSON escapes and UTF-8 mixed in, as models write.
std::string text(std::size_t n, std::size_t seed) {
    static const char* const pieces[] = {"lorem ", "ipsum ", "\\n", "\\\"q\\\" ", "caf\xC3\xA9 ", "\\u00e9", "x"};
    std::string s;
    while (s.size() < n)
        s += pieces[(seed + s.size()) % 7];
    s.resize(n);
    // Never end inside an escape or a UTF-8 sequence.
    while (!s.empty() && (s.back() == '\\' || (static_cast<unsigned char>(s.back()) & 0x80) != 0))
        s.pop_back();
    const std::size_t slash = s.rfind('\\');
    if (slash != std::string::npos && s.size() - slash < 6 && s.compare(slash, 2, "\\u") == 0)
        s.resize(slash);
    return s;
}

const std::string head = R"({"id":"chatcmpl-9x8Yz7AbCdEfGhIjKlMnOpQrStUv","object":"chat.completion.chunk",)"
                         R"("created":1735689600,"model":"openai/gpt-4o-2024-08-06",)"
                         R"("system_fingerprint":"fp_a1b2c3d4e5","choices":[{"index":0,"delta":)";

// OpenAI-style upstreams pad every chunk with a random `obfuscation` member
// of letters and digits, 0 to 39 of them here.
std::string tail(std::size_t seed) {
    std::string padding;
    for (std::size_t i = 0; i < seed % 40; ++i)
        padding += "abcdefghijklmnopqrstuvwxyz0123456789"[(seed + i * 7) % 36];
    return R"("logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":")" + padding + R"("})";
}

std::string content_chunk(std::size_t n, std::size_t seed) {
    return head + R"({"content":")" + text(n, seed) + R"("},)" + tail(seed);
}

std::string reasoning_chunk(std::size_t n, std::size_t seed) {
    // Reasoning models: `reasoning_content` with `content` null, or `reasoning`.
    if (seed % 2 == 0)
        return head + R"({"content":null,"reasoning_content":")" + text(n, seed) + R"("},)" + tail(seed);
    return head + R"({"reasoning":")" + text(n, seed) + R"("},)" + tail(seed);
}

std::string tool_chunk(std::size_t n, std::size_t seed) {
    return head + R"({"tool_calls":[{"index":)" + std::to_string(seed % 2) + R"(,"function":{"arguments":")" +
           text(n, seed) + R"("}}]},)" + tail(seed);
}

std::string empty_delta_chunk(std::size_t seed) { return head + "{}," + tail(seed); }

} // namespace

BOOST_AUTO_TEST_CASE(the_counter_counts) {
    allocation_counter counter;
    std::string s(100, 'x');
    BOOST_TEST(counter.stop() >= 1u);
}

BOOST_AUTO_TEST_CASE(steady_state_decoding_does_not_allocate) {
    std::vector<std::string> warm_up;
    for (int round = 0; round < 2; ++round) {
        // Every shape at its longest (seed 38/39: the longest padding).
        warm_up.push_back(content_chunk(64, 39));
        warm_up.push_back(reasoning_chunk(64, 38));
        warm_up.push_back(reasoning_chunk(64, 39));
        warm_up.push_back(tool_chunk(64, 38));
        warm_up.push_back(tool_chunk(64, 39));
        warm_up.push_back(empty_delta_chunk(39));
    }

    // 1000 chunks: mostly content of 1 to 64 bytes, runs of reasoning and of
    // tool-call arguments, and the odd empty delta, in a fixed random order.
    std::vector<std::string> events;
    lcg rng;
    while (events.size() < 1000) {
        const std::size_t kind = rng.next(10);
        const std::size_t run = 1 + rng.next(8);
        for (std::size_t i = 0; i < run && events.size() < 1000; ++i) {
            const std::size_t n = 1 + rng.next(64);
            const std::size_t seed = rng.next(1000);
            if (kind < 6)
                events.push_back(content_chunk(n, seed));
            else if (kind < 8)
                events.push_back(reasoning_chunk(n, seed));
            else if (kind < 9)
                events.push_back(tool_chunk(n, seed));
            else
                events.push_back(empty_delta_chunk(seed));
        }
    }

    dgrid::detail::chunk_decoder decoder;
    dgrid::chat_chunk chunk;
    dgrid::diagnostics diag;
    for (const std::string& e : warm_up)
        BOOST_TEST_REQUIRE(!decoder.decode(e, chunk, diag), diag.message);

    std::size_t failures = 0;
    std::size_t content_bytes = 0;
    std::size_t reasoning_bytes = 0;
    std::size_t argument_bytes = 0;
    std::size_t count = 0;
    {
        allocation_counter counter;
        for (const std::string& e : events) {
            if (decoder.decode(e, chunk, diag))
                ++failures;
            if (chunk.choices.size() != 1)
                ++failures;
            else {
                const dgrid::chunk_delta& d = chunk.choices[0].delta;
                content_bytes += d.content ? d.content->size() : 0;
                reasoning_bytes += d.reasoning_content ? d.reasoning_content->size() : 0;
                if (!d.tool_calls.empty() && d.tool_calls[0].arguments)
                    argument_bytes += d.tool_calls[0].arguments->size();
            }
        }
        count = counter.stop();
    }
    BOOST_TEST(failures == 0u);
    BOOST_TEST(count == 0u);
    // The chunks were really decoded.
    BOOST_TEST(content_bytes > 10000u);
    BOOST_TEST(reasoning_bytes > 1000u);
    BOOST_TEST(argument_bytes > 500u);
    BOOST_TEST(chunk.id == "chatcmpl-9x8Yz7AbCdEfGhIjKlMnOpQrStUv");
    // Read from the parser's events: no tree, no arena.
    BOOST_TEST(decoder.tree_reads() == 0u);
    BOOST_TEST(decoder.arena_size() == 0u);
}

// End to end over TLS from the emulator, one token per TLS record, so that
// nearly every delta needs a read of the socket: once the client is warm,
// 300 deltas allocate only when the merged answer outgrows its capacity
// (which doubles: a few times), never per read or per delta.
BOOST_AUTO_TEST_CASE(streaming_over_tls_allocates_nothing_per_read) {
    dgrid::test::emulator_fixture fixture;
    auto client = fixture.make_client();
    std::string words;
    for (int i = 0; i < 500; ++i)
        words += "word" + std::to_string(i) + " ";
    const dgrid::chat_request request = dgrid::test::echo_request(words);
    dgrid::request_options slowly;
    slowly.extra_headers.push_back({"X-Emulator-Token-Delay-Ms", "1"});

    std::size_t deltas = 0;
    std::size_t counted = 0;
    fixture.run([&]() -> boost::asio::awaitable<void> {
        for (int round = 0; round < 3; ++round) { // two to warm up
            auto stream = co_await client.async_chat_stream(request, slowly);
            deltas = 0;
            std::optional<allocation_counter> counter;
            while (co_await stream.async_next()) {
                ++deltas;
                if (deltas == 100)
                    counter.emplace();
                if (deltas == 400)
                    counted = counter->stop();
            }
            BOOST_TEST((stream.completion().text() == words));
        }
    }());
    BOOST_TEST_MESSAGE(counted << " allocations over deltas 100 to 400");
    BOOST_TEST(deltas > 400u);
    BOOST_TEST(counted <= 4u);
}
