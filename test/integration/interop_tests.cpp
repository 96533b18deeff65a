// What OpenAI-compatible servers other than DGrid send, taught to the
// emulator as faults: replies sliced in UTF-16 code units, error objects with
// status 200, error chunks with choices, Express-style error bodies, streams
// without [DONE]; and the diagnostics of streams sent several times.

#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace dgrid;
using namespace dgrid::test;

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD"; // U+FFFD

// Two emoji in a row (each two UTF-16 code units), accents, one more emoji.
const std::string reply_text = "h\xC3\xA9llo \xF0\x9F\x98\x80\xF0\x9F\x98\x80 w\xC3\xB6rld \xF0\x9F\x8E\x89!";

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const std::size_t n = b < 0x80                  ? 1
                              : (b >= 0xC2 && b < 0xE0) ? 2
                              : (b >= 0xE0 && b < 0xF0) ? 3
                              : (b >= 0xF0 && b < 0xF5) ? 4
                                                        : 0;
        if (n == 0 || i + n > s.size())
            return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
                return false;
        // No surrogates (ED A0-BF) in UTF-8.
        if (b == 0xED && static_cast<unsigned char>(s[i + 1]) >= 0xA0)
            return false;
        i += n;
    }
    return true;
}

client_options retrying(const emulator_fixture& f) {
    auto options = f.client_options_for();
    options.retry.max_retries = 2;
    options.retry.initial_backoff = std::chrono::milliseconds(10);
    options.retry.max_backoff = std::chrono::milliseconds(20);
    options.retry.max_retry_after = std::chrono::milliseconds(10);
    return options;
}

} // namespace

BOOST_AUTO_TEST_SUITE(interop)

// Sliced every N UTF-16 code units, an emoji's surrogates fall into two
// events: each chunk's text is still valid UTF-8, and they join to the reply.
BOOST_FIXTURE_TEST_CASE(a_reply_sliced_in_utf16_code_units_streams_whole_characters, emulator_fixture) {
    auto c = make_client();
    for (int n = 1; n <= 4; ++n) {
        BOOST_TEST_CONTEXT("utf16-split=" << n) {
            auto result = stream(c, with_fault(echo_request(reply_text), "utf16-split=" + std::to_string(n)));
            BOOST_TEST_REQUIRE(!result.ec, result.ec.message() << ": " << result.diag.message);
            for (const std::string& piece : result.pieces)
                BOOST_TEST(valid_utf8(piece));
            BOOST_TEST(result.text == reply_text);
            BOOST_TEST(result.completion.text() == reply_text);
        }
    }
    // The plain reply, every character escaped, reads the same.
    auto plain = chat(c, with_fault(echo_request(reply_text), "utf16-split=1"));
    BOOST_TEST(!plain.ec, plain.ec.message());
    BOOST_TEST(plain.text == reply_text);
}

BOOST_FIXTURE_TEST_CASE(a_surrogate_without_its_partner_is_the_replacement_character, emulator_fixture) {
    auto c = make_client();
    const std::string expected = reply_text + std::string(replacement);
    auto plain = chat(c, with_fault(echo_request(reply_text), "lone-surrogate"));
    BOOST_TEST(!plain.ec, plain.ec.message());
    BOOST_TEST(plain.text == expected);
    for (const char* fault : {"lone-surrogate", "lone-surrogate,utf16-split=3"}) {
        BOOST_TEST_CONTEXT(fault) {
            auto result = stream(c, with_fault(echo_request(reply_text), fault));
            BOOST_TEST_REQUIRE(!result.ec, result.ec.message() << ": " << result.diag.message);
            for (const std::string& piece : result.pieces)
                BOOST_TEST(valid_utf8(piece));
            // The choice's finish chunk carries the U+FFFD.
            BOOST_TEST(result.text == expected);
            BOOST_TEST(result.completion.text() == expected);
        }
    }
}

// An error object with status 200 fails as the error status would have, with
// its diagnostics; streamed or not.
BOOST_FIXTURE_TEST_CASE(an_error_object_with_status_200_is_an_error, emulator_fixture) {
    auto c = make_client();
    struct expectation {
        std::string fault;
        error e;
        std::string type;
    };
    const std::vector<expectation> cases = {
        {"status=429", error::rate_limited, "rate_limit_error"},                // by its code's words
        {"status=401", error::authentication_failed, "authentication_error"},   // invalid_api_key
        {"status=503,code=number", error::service_unavailable, "server_error"}, // by its code, a status
        {"status=599", error::upstream_error, "api_error"},                     // nothing more precise
    };
    for (const expectation& x : cases) {
        const std::string fault = x.fault + ",error-in-200";
        BOOST_TEST_CONTEXT(fault) {
            auto plain = chat(c, with_fault(echo_request("x"), fault));
            auto streamed = stream(c, with_fault(echo_request("x"), fault));
            for (const call_result* r : {&plain, &streamed}) {
                BOOST_TEST(r->ec == x.e);
                BOOST_TEST(r->diag.http_status == 200u);
                BOOST_TEST(r->diag.type == x.type);
                BOOST_TEST(r->diag.message.find("injected by X-Emulator-Fault") != std::string::npos, r->diag.message);
                BOOST_TEST(!r->diag.request_id.empty());
                BOOST_TEST(r->diag.attempts == 1u);
            }
        }
    }
    // Retried as the status would be.
    auto retried = make_client(retrying(*this));
    auto result =
        chat(retried, with_fault(echo_request("again"), "status=503,code=number,error-in-200,fail-times=1,id=200"));
    BOOST_TEST(!result.ec, result.ec.message());
    BOOST_TEST(result.text == "again");
    BOOST_TEST(result.diag.attempts == 2u);
}

// OpenRouter ends a failing stream with a chunk that has both the error and
// the choice, finished with "error".
BOOST_FIXTURE_TEST_CASE(an_error_chunk_with_choices_records_their_finish_reason, emulator_fixture) {
    for (bool with_retries : {false, true}) {
        BOOST_TEST_CONTEXT("retries " << with_retries) {
            auto c = make_client(with_retries ? retrying(*this) : client_options_for());
            auto result = stream(c, with_fault(echo_request("a b c d"), "stream-error=2,error-choices"));
            BOOST_TEST(result.ec == error::stream_error);
            BOOST_TEST(result.diag.message == "Upstream provider error");
            BOOST_TEST(result.diag.http_status == 200u);
            BOOST_TEST(!result.diag.request_id.empty());
            BOOST_TEST(result.diag.attempts == 1u);
            BOOST_TEST_REQUIRE(result.completion.choices.size() == 1u);
            BOOST_TEST(result.completion.choices[0].finish_reason.value_or("") == "error");
            BOOST_TEST(result.completion.text() == "a b ");
        }
    }
}

// A stream cut before its first token is sent again; the diagnostics count
// every request the server received.
BOOST_FIXTURE_TEST_CASE(attempts_count_every_request_of_a_stream, emulator_fixture) {
    auto c = make_client(retrying(*this));
    auto result = stream(c, with_fault(echo_request("never whole"), "stream-cut=0"));
    BOOST_TEST(result.ec == error::stream_truncated);
    BOOST_TEST(requests_served(server, 3) == 3u);
    BOOST_TEST(result.diag.attempts == 3u);
    BOOST_TEST(result.diag.http_status == 200u);
}

// `{"error":"TypeError","message":"...","status":500}`, even as
// text/event-stream: the message is the human text, `error` the type.
BOOST_FIXTURE_TEST_CASE(an_error_body_whose_error_is_a_string_keeps_its_message, emulator_fixture) {
    auto c = make_client();
    auto plain = chat(c, with_fault(echo_request("x"), "status=500,express"));
    auto streamed = stream(c, with_fault(echo_request("x"), "status=500,express"));
    for (const call_result* r : {&plain, &streamed}) {
        BOOST_TEST(r->ec == error::internal_server_error);
        BOOST_TEST(r->diag.http_status == 500u);
        BOOST_TEST(r->diag.message == "Internal Server Error (injected by X-Emulator-Fault)");
        BOOST_TEST(r->diag.type == "server_error");
    }
}

// The official SDKs end a stream where its body ends: without [DONE], it is
// complete once every choice finished, and truncated otherwise.
BOOST_FIXTURE_TEST_CASE(a_stream_without_done_is_complete_when_every_choice_finished, emulator_fixture) {
    auto c = make_client();
    for (const char* fault : {"no-done", "no-done,framing=length", "no-done,framing=close", "no-done,byte-at-a-time"}) {
        BOOST_TEST_CONTEXT(fault) {
            auto result = stream(c, with_fault(echo_request("all of it"), fault));
            BOOST_TEST(!result.ec, result.ec.message() << ": " << result.diag.message);
            BOOST_TEST(result.text == "all of it");
            BOOST_TEST_REQUIRE(result.completion.choices.size() == 1u);
            BOOST_TEST(result.completion.choices[0].finish_reason.value_or("") == "stop");
            BOOST_TEST(result.completion.usage.has_value());
        }
    }
    // A body that ended cleanly goes back to the pool and serves the next.
    auto again = stream(c, with_fault(echo_request("reused"), "no-done"));
    BOOST_TEST(!again.ec, again.ec.message());
    BOOST_TEST(c.stats().idle == 1u);
    const auto accepted = server.connections_accepted();
    auto after = stream(c, echo_request("after"));
    BOOST_TEST(after.text == "after");
    BOOST_TEST(server.connections_accepted() == accepted);
    // No finish_reason: still truncated.
    auto cut = stream(c, with_fault(echo_request("a b c d"), "stream-cut=2"));
    BOOST_TEST(cut.ec == error::stream_truncated);
    BOOST_TEST(cut.text == "a b ");
}

BOOST_AUTO_TEST_SUITE_END()
