// Micro benchmark of the sans-io stream decoding path, with no I/O: one
// streamed chat completion (202 `chat.completion.chunk` events and
// `data: [DONE]`, about 62 KB of server-sent events, built in memory) run
// through the loop of stream_state::step (impl/chat_stream.ipp), next to
// memchr over the same bytes as the ceiling.
//
//   BM_memchr_newlines        memchr for '\n' over the body (the ceiling)
//   BM_sse_only               detail::sse_parser alone, counting events
//   BM_sse_decode             + detail::chunk_decoder into one reused chat_chunk
//   BM_sse_decode_accumulate  + chat_accumulator, take() at the end of each body
//
// Each iteration processes the whole body, fed in 16 KiB pieces. The output
// shows bytes/s and `deltas` per second (chunk events; for memchr the chunk
// events of the body it scanned). Parser, decoder and chunk are kept across
// iterations (the parser is reset per body), so the figures are the warmed-up
// per-delta work of one stream; a new stream also pays for building them.
//
// Built when DGRID_BUILD_BENCHMARKS is ON and Google Benchmark is found:
//
//   cmake --build build/bench --target decode_bench && build/bench/benchmarks/decode_bench
//
// Before the benchmarks, the decode is checked once (202 chunks, the content
// as generated, at most one tree read per body, the merged completion); a
// mismatch aborts. `decode_bench --once N` runs the SSE + decode + accumulate
// loop N times without Google Benchmark and prints the deltas, for exact
// instruction counts:
//
//   valgrind --tool=callgrind decode_bench --once 100   (minus --once 0)

#include <dgrid/chat_accumulator.hpp>
#include <dgrid/chat_chunk.hpp>
#include <dgrid/chat_completion.hpp>
#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/detail/sse/sse_parser.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t piece_size = 16u << 10; // bytes handed to the parser at a time
constexpr std::size_t content_chunks = 200;
constexpr std::size_t chunk_events = content_chunks + 2; // + the finish chunk and the usage chunk

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "decode_bench: %s\n", what.c_str());
    std::abort();
}

// One content token: as written in the JSON string, and as decoded.
struct token {
    std::string_view json;
    std::string_view text;
};

constexpr token tokens[] = {
    {" quick", " quick"},
    {" brown", " brown"},
    {" fox", " fox"},
    {" jumps", " jumps"},
    {".\\n", ".\n"},
    {" the", " the"},
    {" \\\"lazy\\\"", " \"lazy\""},
    {" dog", " dog"},
    {" caf\\u00e9", " caf\u00e9"},
    {" café", " café"},
    {" C:\\\\tmp", " C:\\tmp"},
    {",", ","},
    {" naïve", " naïve"},
    {" a", " a"},
    {"\\n\\n", "\n\n"},
    {" r\\u00e9sum\\u00e9", " r\u00e9sum\u00e9"},
    {" over", " over"},
    {" 日本", " 日本"},
    {" and", " and"},
    {" it", " it"},
    {" was", " was"},
    {" fine", " fine"},
    {" \\\\o/", " \\o/"},
};

struct stream_body {
    std::string sse;     // the event stream
    std::string content; // the decoded content of its chunks, joined
};

// A streamed chat completion shaped as OpenAI sends it.
stream_body make_body() {
    constexpr std::string_view head =
        "data: {\"id\":\"chatcmpl-Bx7hQk2mVw9LrT4sNpZc1yUe8aJfD\",\"object\":\"chat.completion.chunk\","
        "\"created\":1741569952,\"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":\"default\","
        "\"system_fingerprint\":\"fp_06737a9306\",\"choices\":[";
    stream_body body;
    for (std::size_t i = 0; i < content_chunks; ++i) {
        const token& t = tokens[(i * 7) % std::size(tokens)];
        body.sse += head;
        body.sse += i == 0 ? "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\""
                           : "{\"index\":0,\"delta\":{\"content\":\"";
        body.sse += t.json;
        body.sse += i == 0 ? "\",\"refusal\":null}" : "\"}";
        body.sse += ",\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n";
        body.content += t.text;
    }
    body.sse += head;
    body.sse += "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n";
    body.sse += head;
    body.sse += "],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":200,\"total_tokens\":220}}\n\n";
    body.sse += "data: [DONE]\n\n";
    return body;
}

const stream_body& the_body() {
    static const stream_body body = make_body();
    return body;
}

// The loop of stream_state::step over a body held in memory: each piece is fed
// to the parser until it is consumed (the parser keeps an unfinished line);
// `on_event` gets the data of each event before `data: [DONE]`. Returns the
// number of such events.
template <class OnEvent>
std::size_t feed(dgrid::detail::sse_parser& sse, std::string_view body, OnEvent&& on_event) {
    std::size_t events = 0;
    while (!body.empty()) {
        std::string_view piece = body.substr(0, piece_size);
        body.remove_prefix(piece.size());
        while (!piece.empty()) {
            dgrid::error_code ec;
            piece.remove_prefix(sse.parse(piece, ec));
            if (ec)
                fail("sse_parser: " + ec.message());
            if (!sse.has_event())
                continue;
            const dgrid::detail::sse_event event = sse.event();
            if (event.data == "[DONE]")
                return events;
            ++events;
            on_event(event.data);
        }
    }
    fail("the body ended without data: [DONE]");
}

// What one stream keeps from event to event.
struct pipeline {
    dgrid::detail::sse_parser sse;
    dgrid::detail::chunk_decoder decoder;
    dgrid::chat_chunk chunk;
    dgrid::diagnostics diag;
    dgrid::chat_accumulator accumulator;

    std::size_t parse(std::string_view body) {
        sse.reset();
        return feed(sse, body, [](std::string_view data) { benchmark::DoNotOptimize(data.data()); });
    }

    void decode_one(std::string_view data) {
        if (dgrid::error_code ec = decoder.decode(data, chunk, diag))
            fail("chunk_decoder: " + ec.message() + ": " + diag.message);
    }

    std::size_t decode(std::string_view body) {
        sse.reset();
        return feed(sse, body, [this](std::string_view data) {
            decode_one(data);
            benchmark::DoNotOptimize(chunk);
        });
    }

    std::size_t decode_accumulate(std::string_view body) {
        sse.reset();
        return feed(sse, body, [this](std::string_view data) {
            decode_one(data);
            accumulator.add(chunk);
        });
    }
};

// The one-time check: a fresh pipeline decodes the body twice as the
// benchmarks do.
void verify() {
    const stream_body& body = the_body();
    std::printf("body: %zu bytes, %zu chunk events, %zu content bytes\n", body.sse.size(), chunk_events,
                body.content.size());

    std::size_t newlines = 0;
    for (const char* p = body.sse.data();
         (p = static_cast<const char*>(std::memchr(p, '\n', body.sse.data() + body.sse.size() - p))); ++p)
        ++newlines;
    if (newlines != 2 * (chunk_events + 1))
        fail("memchr counted " + std::to_string(newlines) + " newlines");

    pipeline p;
    if (std::size_t n = p.parse(body.sse); n != chunk_events)
        fail("sse_parser: " + std::to_string(n) + " events, expected " + std::to_string(chunk_events));

    for (int round = 1; round <= 2; ++round) {
        std::string content;
        p.sse.reset();
        const std::size_t n = feed(p.sse, body.sse, [&](std::string_view data) {
            p.decode_one(data);
            content += p.chunk.text();
        });
        if (n != chunk_events)
            fail("decoded " + std::to_string(n) + " chunks, expected " + std::to_string(chunk_events));
        if (content != body.content)
            fail("the decoded content differs from the generated one");
        if (p.decoder.tree_reads() > static_cast<std::size_t>(round))
            fail("chunk_decoder: " + std::to_string(p.decoder.tree_reads()) + " tree reads after " +
                 std::to_string(round) + " bodies");
        if (!p.chunk.choices.empty() || !p.chunk.usage || p.chunk.usage->total_tokens != 220)
            fail("the last chunk is not the usage chunk");
    }

    for (int round = 1; round <= 2; ++round) {
        if (std::size_t n = p.decode_accumulate(body.sse); n != chunk_events)
            fail("accumulated " + std::to_string(n) + " chunks");
        const dgrid::chat_completion c = p.accumulator.take();
        if (c.choices.size() != 1 || c.text() != body.content ||
            c.choices.front().finish_reason.value_or("") != "stop" || c.choices.front().message.role != "assistant" ||
            !c.usage || c.usage->completion_tokens != 200 || c.id != "chatcmpl-Bx7hQk2mVw9LrT4sNpZc1yUe8aJfD" ||
            c.model != "gpt-4o-mini-2024-07-18")
            fail("the merged completion differs from the stream");
    }
    std::printf("check: %zu chunks, content equal, %zu tree reads in 4 bodies\n", chunk_events, p.decoder.tree_reads());
}

void set_counters(benchmark::State& state, std::size_t deltas) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(the_body().sse.size()));
    state.counters["deltas"] = benchmark::Counter(static_cast<double>(deltas), benchmark::Counter::kIsRate);
}

void BM_memchr_newlines(benchmark::State& state) {
    const std::string& sse = the_body().sse;
    const char* const end = sse.data() + sse.size();
    std::size_t deltas = 0;
    for (auto _ : state) {
        std::size_t newlines = 0;
        for (const char* p = sse.data(); (p = static_cast<const char*>(std::memchr(p, '\n', end - p))); ++p)
            ++newlines;
        benchmark::DoNotOptimize(newlines);
        deltas += chunk_events;
    }
    set_counters(state, deltas);
}

void BM_sse_only(benchmark::State& state) {
    const std::string& sse = the_body().sse;
    pipeline p;
    std::size_t deltas = 0;
    for (auto _ : state)
        deltas += p.parse(sse);
    set_counters(state, deltas);
}

void BM_sse_decode(benchmark::State& state) {
    const std::string& sse = the_body().sse;
    pipeline p;
    std::size_t deltas = 0;
    for (auto _ : state)
        deltas += p.decode(sse);
    set_counters(state, deltas);
}

void BM_sse_decode_accumulate(benchmark::State& state) {
    const std::string& sse = the_body().sse;
    pipeline p;
    std::size_t deltas = 0;
    for (auto _ : state) {
        deltas += p.decode_accumulate(sse);
        dgrid::chat_completion c = p.accumulator.take();
        benchmark::DoNotOptimize(c);
    }
    set_counters(state, deltas);
}

BENCHMARK(BM_memchr_newlines);
BENCHMARK(BM_sse_only);
BENCHMARK(BM_sse_decode);
BENCHMARK(BM_sse_decode_accumulate);

// `--once N`: N bodies through SSE + decode + accumulate, as in
// BM_sse_decode_accumulate, with nothing else in the loop.
int run_once(const char* count) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(count, &end, 10);
    if (end == count || *end != '\0') {
        std::fprintf(stderr, "usage: decode_bench --once N\n");
        return 2;
    }
    const std::string& sse = the_body().sse;
    pipeline p;
    std::size_t deltas = 0;
    for (unsigned long long i = 0; i < n; ++i) {
        deltas += p.decode_accumulate(sse);
        dgrid::chat_completion c = p.accumulator.take();
        benchmark::DoNotOptimize(c);
    }
    std::printf("deltas %zu\n", deltas);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    verify();
    if (argc == 3 && std::string_view(argv[1]) == "--once")
        return run_once(argv[2]);
    if (argc == 2 && std::string_view(argv[1]).starts_with("--once "))
        return run_once(argv[1] + 7);

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
