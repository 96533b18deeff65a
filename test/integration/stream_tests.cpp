// Streamed completions against the TLS emulator: accumulation equals the
// non-streamed answer for every model, every stream fault gives the right
// chunks or error, and many concurrent or abandoned streams leave the pool sound.

#include "canned_server.hpp"
#include "fixture.hpp"

#include <dgrid/image.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

using namespace dgrid;
using namespace dgrid::test;

namespace {

struct streamed {
    error_code ec;
    diagnostics diag;
    std::string text; // content deltas of choice 0, joined
    std::size_t chunks = 0;
    chat_completion completion;
};

// Streams `request` to its end (or first error), at most `max_chunks` chunks.
asio::awaitable<streamed> stream_all(client& c, test_call call,
                                     std::size_t max_chunks = std::numeric_limits<std::size_t>::max()) {
    streamed result;
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, stream] = co_await c.async_chat_stream(call.request, call.options, result.diag, token);
    result.ec = ec;
    if (ec)
        co_return result;
    while (result.chunks < max_chunks) {
        auto [next_ec, more] = co_await stream.async_next(result.diag, token);
        result.ec = next_ec;
        if (next_ec || !more)
            break;
        ++result.chunks;
        result.text += stream.chunk().text();
    }
    result.completion = stream.completion();
    co_return result;
}

void check_same_answer(const chat_completion& streamed, const chat_completion& plain) {
    BOOST_TEST(streamed.object == "chat.completion");
    BOOST_TEST(streamed.model == plain.model);
    BOOST_TEST((streamed.created == plain.created));
    BOOST_TEST((streamed.system_fingerprint == plain.system_fingerprint));
    BOOST_REQUIRE_EQUAL(streamed.choices.size(), plain.choices.size());
    for (std::size_t i = 0; i < plain.choices.size(); ++i) {
        const auto& s = streamed.choices[i];
        const auto& p = plain.choices[i];
        BOOST_TEST_CONTEXT("choice " << i) {
            BOOST_TEST(s.index == p.index);
            BOOST_TEST((s.finish_reason == p.finish_reason));
            BOOST_TEST(s.message.role == p.message.role);
            BOOST_TEST(s.message.content.has_value() == p.message.content.has_value());
            BOOST_TEST(s.message.text() == p.message.text());
            BOOST_TEST((s.message.reasoning_content == p.message.reasoning_content));
            BOOST_TEST((s.message.refusal == p.message.refusal));
            BOOST_REQUIRE_EQUAL(s.message.tool_calls.size(), p.message.tool_calls.size());
            for (std::size_t t = 0; t < p.message.tool_calls.size(); ++t) {
                BOOST_TEST(s.message.tool_calls[t].id == p.message.tool_calls[t].id);
                BOOST_TEST(s.message.tool_calls[t].type == p.message.tool_calls[t].type);
                BOOST_TEST(s.message.tool_calls[t].function.name == p.message.tool_calls[t].function.name);
                BOOST_TEST(s.message.tool_calls[t].function.arguments == p.message.tool_calls[t].function.arguments);
            }
        }
    }
    BOOST_REQUIRE(streamed.usage.has_value());
    BOOST_REQUIRE(plain.usage.has_value());
    BOOST_TEST((streamed.usage->prompt_tokens == plain.usage->prompt_tokens));
    BOOST_TEST((streamed.usage->completion_tokens == plain.usage->completion_tokens));
    BOOST_TEST((streamed.usage->total_tokens == plain.usage->total_tokens));
    BOOST_TEST(streamed.usage->completion_tokens_details.has_value() ==
               plain.usage->completion_tokens_details.has_value());
    if (plain.usage->completion_tokens_details)
        BOOST_TEST((streamed.usage->completion_tokens_details->reasoning_tokens ==
                    plain.usage->completion_tokens_details->reasoning_tokens));
    BOOST_TEST(streamed.extra.contains("provider"));
}

chat_request model_request(const char* model) {
    chat_request request = echo_request("The quick brown fox jumps over the lazy dog.");
    request.model = model;
    if (std::string_view(model) == "emulator/tools") {
        tool weather;
        weather.name = "get_weather";
        request.tools.push_back(weather);
    }
    if (std::string_view(model) == "emulator/json")
        request.response_format = boost::json::object{
            {"type", "json_schema"},
            {"json_schema",
             {{"name", "words"}, {"schema", {{"type", "object"}, {"properties", {{"words", {{"type", "string"}}}}}}}}}};
    return request;
}

} // namespace

BOOST_AUTO_TEST_SUITE(streaming)

BOOST_FIXTURE_TEST_CASE(accumulated_stream_equals_the_plain_answer_for_every_model, emulator_fixture) {
    auto c = make_client();
    const char* models[] = {"emulator/echo",  "emulator/tools", "emulator/reasoning",
                            "emulator/image", "emulator/json",  "emulator/refusal"};
    for (const char* model : models) {
        BOOST_TEST_CONTEXT(model) {
            auto result = run(stream_all(c, model_request(model)));
            BOOST_TEST(!result.ec, result.ec.message() << " " << result.diag.message);
            auto plain = run(
                [&]() -> asio::awaitable<chat_completion> { co_return co_await c.async_chat(model_request(model)); }());
            check_same_answer(result.completion, plain);
            BOOST_TEST(result.chunks >= 2u);
        }
    }
    // Everything ran over one kept-alive connection.
    BOOST_TEST(server.connections_accepted() == 1u);
}

BOOST_FIXTURE_TEST_CASE(several_choices_interleaved, emulator_fixture) {
    auto c = make_client();
    auto request = model_request("emulator/echo");
    request.n = 3;
    auto result = run(stream_all(c, request));
    BOOST_TEST(!result.ec);
    auto plain = run([&]() -> asio::awaitable<chat_completion> { co_return co_await c.async_chat(request); }());
    check_same_answer(result.completion, plain);
}

BOOST_FIXTURE_TEST_CASE(deltas_arrive_one_token_at_a_time, emulator_fixture) {
    auto c = make_client();
    auto result = run(stream_all(c, echo_request("one two three four")));
    BOOST_TEST(!result.ec);
    BOOST_TEST(result.text == "one two three four");
    // role chunk, 4 tokens, finish chunk, usage chunk
    BOOST_TEST(result.chunks == 7u);
    BOOST_TEST(result.completion.usage->total_tokens.has_value());
}

// A coroutine waiting for a chunk already read is resumed in place rather
// than through the executor's queue, but at most 32 times in a row (plus the
// resumption from the queue): the chunks of one read reach the caller while
// their bytes are still in the CPU's cache, the thread's other work still
// gets its turn, and the stack does not grow with the stream. The events here
// are short, so that every read holds more of them than that.
BOOST_FIXTURE_TEST_CASE(chunks_already_read_resume_the_caller_in_place_a_few_at_a_time, emulator_fixture) {
    std::string words;
    std::string body;
    for (int i = 0; i < 600; ++i) {
        const std::string word = "w" + std::to_string(i) + " ";
        words += word;
        body += R"(data: {"choices":[{"index":0,"delta":{"content":")" + word + "\"}}]}\n\n";
    }
    body += "data: [DONE]\n\n";
    canned_server canned(io, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body);
    auto options = client_options_for();
    options.base_url = canned.base_url();
    auto c = make_client(options);
    bool done = false;
    std::size_t ticks = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            while (!done) {
                ++ticks;
                co_await asio::post(io, asio::use_awaitable);
            }
        },
        asio::detached);
    std::size_t longest = 0;
    std::string text;
    run([&]() -> asio::awaitable<void> {
        chat_stream stream = co_await c.async_chat_stream(echo_request("x"));
        // The whole answer reaches the socket first, so reads return many chunks.
        asio::steady_timer wait(io, std::chrono::milliseconds(200));
        co_await wait.async_wait(asio::use_awaitable);
        std::size_t in_a_row = 0;
        std::size_t seen = ticks;
        while (co_await stream.async_next()) {
            in_a_row = ticks == seen ? in_a_row + 1 : 1;
            seen = ticks;
            longest = std::max(longest, in_a_row);
            text += stream.chunk().text();
        }
        done = true;
        canned.close();
    }());
    BOOST_TEST(text == words);
    BOOST_TEST(longest > 16u);
    BOOST_TEST(longest <= 33u);
}

BOOST_FIXTURE_TEST_CASE(usage_is_not_requested_when_the_caller_says_so, emulator_fixture) {
    auto c = make_client();
    auto request = echo_request("no usage please");
    request.extra["stream_options"] = boost::json::object{{"include_usage", false}};
    auto result = run(stream_all(c, request));
    BOOST_TEST(!result.ec);
    BOOST_TEST(!result.completion.usage.has_value());
    BOOST_TEST(result.text == "no usage please");
}

BOOST_FIXTURE_TEST_CASE(a_multi_megabyte_image_in_one_event, emulator_fixture) {
    auto c = make_client();
    auto request = model_request("emulator/image");
    request.extra["emulator_image_side"] = 1024;
    auto result = run(stream_all(c, request));
    BOOST_TEST(!result.ec, result.diag.message);
    BOOST_TEST(result.text.size() > 3'000'000u);
    error_code ec;
    auto images = extract_images(result.completion, ec);
    BOOST_TEST(!ec);
    BOOST_REQUIRE_EQUAL(images.size(), 1u);
    BOOST_TEST(images[0].mime_type == "image/png");
    BOOST_TEST(images[0].bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
}

BOOST_FIXTURE_TEST_CASE(an_event_larger_than_the_limit, emulator_fixture) {
    auto options = client_options_for();
    options.max_event_size = 64 * 1024;
    auto c = make_client(options);
    auto request = model_request("emulator/image");
    request.extra["emulator_image_side"] = 256; // a ~260 KB data URI in one event
    auto result = run(stream_all(c, request));
    BOOST_TEST(result.ec == error::event_too_large);
    BOOST_TEST(result.diag.message.find("max_event_size") != std::string::npos, result.diag.message);
    BOOST_TEST(c.stats().open == 0u);
    result = run(stream_all(c, echo_request("small events pass")));
    BOOST_TEST(result.text == "small events pass");
}

BOOST_AUTO_TEST_SUITE(faults)

struct fault_case {
    const char* fault;
};

BOOST_FIXTURE_TEST_CASE(wire_variations_give_the_same_text, emulator_fixture) {
    auto c = make_client();
    const std::string text = "Stream me through every quirk, please.";
    for (const char* fault : {"keepalive", "crlf", "byte-at-a-time", "stall-stream=100", "multi-data", "no-space",
                              "keepalive,crlf,multi-data,no-space"}) {
        BOOST_TEST_CONTEXT(fault) {
            auto result = run(stream_all(c, with_fault(echo_request(text), fault)));
            BOOST_TEST(!result.ec, result.ec.message() << " " << result.diag.message);
            BOOST_TEST(result.text == text);
            BOOST_TEST(result.completion.choices.at(0).finish_reason.value_or("") == "stop");
        }
    }
}

// The body is read out of the connection's buffer with its framing taken
// apart by the library: a Content-Length, chunk extensions, chunks that split
// events, trailers, each also one byte per write. The connection serves the
// next stream, unless the end of the message trickles in a byte at a time
// after [DONE] (then it is closed rather than waited for).
BOOST_FIXTURE_TEST_CASE(every_body_framing_gives_the_same_text, emulator_fixture) {
    auto c = make_client();
    const std::string text = "Framed in every way HTTP/1.1 allows.";
    struct framing_case {
        const char* fault;
        bool kept;
    };
    for (const auto [fault, kept] :
         {framing_case{"framing=length", true}, framing_case{"framing=extensions", true},
          framing_case{"framing=extensions,crlf,multi-data", true}, framing_case{"framing=length,byte-at-a-time", true},
          framing_case{"framing=extensions,byte-at-a-time", false}}) {
        BOOST_TEST_CONTEXT(fault) {
            auto result = run(stream_all(c, with_fault(echo_request(text), fault)));
            BOOST_TEST(!result.ec, result.ec.message() << " " << result.diag.message);
            BOOST_TEST(result.text == text);
            BOOST_TEST(result.completion.choices.at(0).finish_reason.value_or("") == "stop");
            BOOST_TEST(c.stats().idle == (kept ? 1u : 0u));
        }
    }
    BOOST_TEST(c.stats().tls_handshakes == 1u);
    // A body whose Content-Length the close cuts short.
    auto result = run(stream_all(c, with_fault(echo_request("a b c d e f"), "framing=length,stream-cut=3")));
    BOOST_TEST(result.ec == error::stream_truncated);
    BOOST_TEST(result.diag.message == "the connection closed before data: [DONE]");
    result = run(stream_all(c, with_fault(echo_request("a b c d e f"), "framing=length,stream-reset=3")));
    BOOST_TEST(result.ec.failed());
    BOOST_TEST(!result.completion.text().empty());
}

// max_response_size bounds whole responses; a stream's body is bounded event
// by event, whatever its framing says of its length.
BOOST_FIXTURE_TEST_CASE(a_stream_longer_than_max_response_size, emulator_fixture) {
    auto options = client_options_for();
    options.max_response_size = 1024;
    auto c = make_client(options);
    std::string text;
    for (int i = 0; i < 40; ++i)
        text += "word" + std::to_string(i) + " ";
    for (const char* fault : {"framing=length", "framing=extensions"}) {
        BOOST_TEST_CONTEXT(fault) {
            auto result = run(stream_all(c, with_fault(echo_request(text), fault)));
            BOOST_TEST(!result.ec, result.ec.message() << " " << result.diag.message);
            BOOST_TEST(result.text == text);
        }
    }
}

// Neither a length nor chunks: the close ends the body, and the connection
// cannot serve another request.
BOOST_FIXTURE_TEST_CASE(a_body_that_ends_at_the_close, emulator_fixture) {
    auto c = make_client();
    auto result = run(stream_all(c, with_fault(echo_request("up to the close"), "framing=close")));
    BOOST_TEST(!result.ec, result.ec.message() << " " << result.diag.message);
    BOOST_TEST(result.text == "up to the close");
    BOOST_TEST(c.stats().open == 0u);
    result = run(stream_all(c, with_fault(echo_request("a b c d e f"), "framing=close,stream-cut=3")));
    BOOST_TEST(result.ec == error::stream_truncated);
    BOOST_TEST(result.diag.message == "the stream ended before every choice finished");
    BOOST_TEST(!result.completion.text().empty());
    result = run(stream_all(c, with_fault(echo_request("one byte at a time"), "framing=close,byte-at-a-time")));
    BOOST_TEST(result.text == "one byte at a time");
}

BOOST_FIXTURE_TEST_CASE(malformed_chunked_encoding_fails_the_stream, emulator_fixture) {
    auto c = make_client();
    auto result = run(stream_all(c, with_fault(echo_request("a b c"), "framing=malformed")));
    BOOST_TEST(result.ec == error_code(boost::beast::http::error::bad_chunk));
    BOOST_TEST(result.diag.message == "the stream's chunked encoding is malformed");
    BOOST_TEST(c.stats().open == 0u); // the connection was not kept
    result = run(stream_all(c, echo_request("still here")));
    BOOST_TEST(result.text == "still here");
}

BOOST_FIXTURE_TEST_CASE(an_error_object_mid_stream, emulator_fixture) {
    auto c = make_client();
    auto result = run(stream_all(c, with_fault(echo_request("a b c d e f"), "stream-error=3")));
    BOOST_TEST(result.ec == error::stream_error);
    BOOST_TEST(result.diag.message == "Upstream provider error");
    BOOST_TEST(result.diag.code.as_string() == "upstream_error");
    // The partial answer stays reachable.
    BOOST_TEST(!result.completion.text().empty());
    BOOST_TEST(std::string("a b c d e f").starts_with(result.completion.text()));
    BOOST_TEST(c.stats().open == 0u); // the connection was not kept
}

BOOST_FIXTURE_TEST_CASE(a_stream_cut_before_done_is_truncated, emulator_fixture) {
    auto c = make_client();
    auto result = run(stream_all(c, with_fault(echo_request("a b c d e f"), "stream-cut=3")));
    BOOST_TEST(result.ec == error::stream_truncated);
    BOOST_TEST(!result.completion.text().empty());
    result = run(stream_all(c, with_fault(echo_request("a b c d e f"), "stream-reset=3")));
    BOOST_TEST(result.ec.failed());
    BOOST_TEST(!result.completion.text().empty());
    // The client carries on.
    result = run(stream_all(c, echo_request("still here")));
    BOOST_TEST(!result.ec);
    BOOST_TEST(result.text == "still here");
}

BOOST_FIXTURE_TEST_CASE(http_errors_come_with_the_stream_request, emulator_fixture) {
    auto c = make_client();
    auto result = run(stream_all(c, with_fault(echo_request("x"), "status=429")));
    BOOST_TEST(result.ec == error::rate_limited);
    BOOST_TEST(result.diag.http_status == 429u);
    BOOST_TEST(result.diag.retry_after.has_value());
    BOOST_TEST(result.chunks == 0u);
    result = run(stream_all(c, with_fault(echo_request("x"), "status=502")));
    BOOST_TEST(result.ec == error::bad_gateway);
    BOOST_TEST(result.diag.body_excerpt.find("502") != std::string::npos);
    // Error responses read to the end keep their connection.
    result = run(stream_all(c, echo_request("after errors")));
    BOOST_TEST(result.text == "after errors");
    BOOST_TEST(server.connections_accepted() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_CASE(streams_256_at_once_on_one_client, emulator_fixture) {
    auto options = client_options_for();
    options.pool.max_size = 32;
    auto c = make_client(options);
    std::atomic<int> correct{0};
    for (int i = 0; i < 256; ++i) {
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                std::string text = "stream " + std::to_string(i) + " says hello to the gateway";
                auto result = co_await stream_all(c, echo_request(text));
                if (!result.ec && result.text == text && result.completion.text() == text)
                    ++correct;
            },
            asio::detached);
    }
    io.run();
    BOOST_TEST(correct.load() == 256);
    BOOST_TEST(server.connections_accepted() <= 32u);
    BOOST_TEST(c.stats().open <= 32u);
}

// 100 slow streams are dropped half-way: their connections are closed, not
// pooled, and the client goes on serving.
BOOST_FIXTURE_TEST_CASE(leaving_100_streams_half_way, emulator_fixture) {
    auto options = client_options_for();
    options.pool.max_size = 100;
    auto c = make_client(options);
    std::atomic<int> half_read{0};
    for (int i = 0; i < 100; ++i) {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                auto request = with_token_delay(echo_request("one two three four five six seven eight nine ten"), 20);
                auto result = co_await stream_all(c, request, 6);
                if (!result.ec && result.chunks == 6)
                    ++half_read;
            },
            asio::detached);
    }
    io.run();
    BOOST_TEST(half_read.load() == 100);
    auto stats = c.stats();
    BOOST_TEST(stats.open == 0u);
    BOOST_TEST(stats.idle == 0u);
    // The server sees every abandoned connection close.
    for (int i = 0; i < 200 && server.open_connections() != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(server.open_connections() == 0u);
    auto result = run(stream_all(c, echo_request("fresh start")));
    BOOST_TEST(result.text == "fresh start");
    BOOST_TEST(c.stats().open == 1u);
}

// A stream let go while its async_next waits for the server: that read ends
// with operation_aborted and the connection is closed.
BOOST_FIXTURE_TEST_CASE(letting_a_stream_go_during_a_read, emulator_fixture) {
    auto c = make_client();
    error_code next_ec;
    bool next_done = false;
    run([&]() -> asio::awaitable<void> {
        const test_call stalled = with_fault(echo_request("a b c d"), "stall-stream=5000");
        std::optional<chat_stream> stream = co_await c.async_chat_stream(stalled.request, stalled.options);
        // role chunk and first token arrive, then the server stalls
        co_await stream->async_next();
        co_await stream->async_next();
        stream->async_next([&](error_code ec, bool) {
            next_ec = ec;
            next_done = true;
        });
        asio::steady_timer timer(io, std::chrono::milliseconds(100));
        co_await timer.async_wait(asio::use_awaitable);
        BOOST_TEST(!next_done);
        stream.reset();
    }());
    BOOST_TEST(next_done);
    BOOST_TEST(next_ec == asio::error::operation_aborted);
    BOOST_TEST(c.stats().open == 0u);
    auto result = run(stream_all(c, echo_request("fresh start")));
    BOOST_TEST(result.text == "fresh start");
}

BOOST_FIXTURE_TEST_CASE(cancelling_async_next_closes_the_stream, emulator_fixture) {
    using namespace asio::experimental::awaitable_operators;
    auto c = make_client();
    auto outcome = run([&]() -> asio::awaitable<error_code> {
        const test_call stalled = with_fault(echo_request("a b c d"), "stall-stream=5000");
        auto stream = co_await c.async_chat_stream(stalled.request, stalled.options);
        // role chunk and first token arrive, then the server stalls
        co_await stream.async_next();
        co_await stream.async_next();
        asio::steady_timer timer(io, std::chrono::milliseconds(100));
        auto token = asio::as_tuple(asio::use_awaitable);
        auto winner = co_await (stream.async_next(token) || timer.async_wait(token));
        error_code ec;
        if (winner.index() == 0)
            ec = std::get<0>(std::get<0>(winner));
        else
            ec = std::get<0>(std::get<1>(winner));
        auto [after_ec, more] = co_await stream.async_next(token);
        BOOST_TEST(after_ec == asio::error::operation_aborted);
        co_return ec;
    }());
    BOOST_TEST(outcome == error_code()); // the timer won
    BOOST_TEST(c.stats().open == 0u);
    auto result = run(stream_all(c, echo_request("usable")));
    BOOST_TEST(result.text == "usable");
}

// A stream's retries count against one `max_retries`, whether it failed
// while opening (a 503) or while its body was read (cut before any content).
BOOST_FIXTURE_TEST_CASE(a_stream_s_retries_count_together_while_opening_and_reading, emulator_fixture) {
    const std::string cut = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 1000\r\n\r\n";
    canned_server canned(io, {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", cut});
    auto options = client_options_for();
    options.base_url = canned.base_url();
    options.retry.max_retries = 2;
    options.retry.initial_backoff = std::chrono::milliseconds(1);
    auto c = make_client(options);
    auto result = run([&]() -> asio::awaitable<call_result> {
        chat_request request = echo_request("x");
        auto streamed = co_await stream_once(c, std::move(request));
        canned.close(); // the context then runs out of work
        co_return streamed;
    }());
    BOOST_TEST(result.ec == error::stream_truncated);
    BOOST_TEST(result.diag.attempts == 3u);
    BOOST_TEST(canned.requests() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
