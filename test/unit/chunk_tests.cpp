// Stream chunks: the JSON mapping of chat_chunk and chunk_decoder, with the
// odd shapes of docs/wire.md ("Quirks the readers tolerate"), errors with
// their paths, and the reuse of memory from one event to the next.
#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/detail/chunks/surrogate_mender.hpp>
#include <dgrid/detail/json/lone_surrogates.hpp>
#include <dgrid/json.hpp>

#include "test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace json = boost::json;
using namespace dgrid;
using dgrid::detail::chunk_decoder;
using dgrid::detail::lone_surrogate_rule;
using dgrid::detail::parse_json_tree;
using dgrid::detail::surrogate_mender;

namespace {

// Decodes with a fresh decoder and checks that from_json agrees.
chat_chunk decode_ok(std::string_view text) {
    chunk_decoder decoder;
    chat_chunk c;
    diagnostics diag;
    const error_code ec = decoder.decode(text, c, diag);
    BOOST_TEST_REQUIRE(!ec, ec.message() << ": " << diag.message);
    chat_chunk mapped;
    BOOST_TEST_REQUIRE(!from_json(json::parse(text), mapped, diag), diag.message);
    BOOST_TEST(json::serialize(to_json(c)) == json::serialize(to_json(mapped)));
    return c;
}

// The error of decoding `text`, with what went to `diag`.
error_code decode_error(std::string_view text, diagnostics& diag) {
    chunk_decoder decoder;
    chat_chunk c;
    return decoder.decode(text, c, diag);
}

void check_malformed(std::string_view text, const std::string& message) {
    diagnostics diag;
    BOOST_TEST((decode_error(text, diag) == error::malformed_response));
    BOOST_TEST(diag.message == message);
    // The mapping reports the same.
    diagnostics mapped;
    chat_chunk c;
    BOOST_TEST((from_json(json::parse(text), c, mapped) == error::malformed_response));
    BOOST_TEST(mapped.message == message);
}

// Decodes `events` one after the other into `reused`, checking each against
// from_json on a fresh chunk (and surrogate halves split across events
// joined, as the decoder joins them): the same error and message, the same
// chunk.
void decode_each_as_from_json(chunk_decoder& decoder, chat_chunk& reused, const std::vector<std::string>& events) {
    surrogate_mender mender;
    for (const std::string& e : events) {
        BOOST_TEST_CONTEXT(e) {
            diagnostics d1;
            diagnostics d2;
            const error_code e1 = decoder.decode(e, reused, d1);
            chat_chunk fresh;
            error_code parse_ec;
            const json::value v = parse_json_tree(e, {}, lone_surrogate_rule::keep_in_chunk_free_text, parse_ec);
            const error_code e2 = parse_ec ? error_code(error::invalid_json) : from_json(v, fresh, d2);
            if (!e2)
                mender.mend(fresh);
            BOOST_TEST(e1 == e2);
            if (!parse_ec)
                BOOST_TEST(d1.message == d2.message);
            if (!e1)
                BOOST_TEST(json::serialize(to_json(reused)) == json::serialize(to_json(fresh)));
        }
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(chunk_json)

BOOST_AUTO_TEST_CASE(refusal_in_a_delta) {
    const chat_chunk c = decode_ok(R"({"id":"x","choices":[{"index":0,"delta":{"refusal":"No.","content":null}}]})");
    CHECK_OPT(c.choices.at(0).delta.refusal, "No.");
    const chat_chunk none = decode_ok(R"({"id":"x","choices":[{"index":0,"delta":{"refusal":null}}]})");
    BOOST_TEST(!none.choices.at(0).delta.refusal.has_value());
    CHECK_JSON(to_json(c).at("choices").at(0).at("delta"), R"({"refusal":"No."})");
}

BOOST_AUTO_TEST_CASE(first_chunk_with_role) {
    const chat_chunk c =
        decode_ok(R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1735689600,"model":"openai/gpt-4o",)"
                  R"("system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":""},)"
                  R"("logprobs":null,"finish_reason":null}],"usage":null})");
    BOOST_TEST(c.id == "chatcmpl-1");
    BOOST_TEST(c.object == "chat.completion.chunk");
    CHECK_OPT(c.created, 1735689600);
    BOOST_TEST(c.model == "openai/gpt-4o");
    CHECK_OPT(c.system_fingerprint, "fp_1");
    BOOST_TEST(!c.usage.has_value());
    BOOST_TEST(c.extra.empty());
    BOOST_TEST_REQUIRE(c.choices.size() == 1u);
    const chunk_choice& ch = c.choices[0];
    BOOST_TEST(ch.index == 0);
    CHECK_OPT(ch.delta.role, "assistant");
    CHECK_OPT(ch.delta.content, "");
    BOOST_TEST(!ch.delta.reasoning_content.has_value());
    BOOST_TEST(ch.delta.tool_calls.empty());
    BOOST_TEST(!ch.finish_reason.has_value());
    BOOST_TEST(ch.logprobs.is_null());
    BOOST_TEST(c.text() == "");
}

BOOST_AUTO_TEST_CASE(content_and_finish) {
    const chat_chunk c = decode_ok(R"({"id":"x","choices":[{"index":0,"delta":{"content":"Hel\u006co \"w\"\n"}}]})");
    BOOST_TEST(c.text() == "Hello \"w\"\n");
    BOOST_TEST(!c.choices[0].delta.role.has_value());

    const chat_chunk end = decode_ok(R"({"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})");
    BOOST_TEST_REQUIRE(end.choices.size() == 1u);
    CHECK_OPT(end.choices[0].finish_reason, "stop");
    BOOST_TEST(!end.choices[0].delta.content.has_value());
    BOOST_TEST(end.text() == "");
}

// docs/wire.md, "Usage in odd places": usage only in the final chunk with
// `choices: []`, or with choices null or missing; `usage: null` everywhere else.
BOOST_AUTO_TEST_CASE(usage_in_odd_places) {
    for (const char* text : {
             R"({"id":"x","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}})",
             R"({"id":"x","choices":null,"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}})",
             R"({"id":"x","usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}})",
         }) {
        BOOST_TEST_CONTEXT(text) {
            const chat_chunk c = decode_ok(text);
            BOOST_TEST(c.choices.empty());
            BOOST_TEST_REQUIRE(c.usage.has_value());
            CHECK_OPT(c.usage->prompt_tokens, 9);
            CHECK_OPT(c.usage->completion_tokens, 12);
            CHECK_OPT(c.usage->total_tokens, 21);
        }
    }
    const chat_chunk c = decode_ok(R"({"choices":[{"delta":{"content":"a"}}],"usage":null})");
    BOOST_TEST(!c.usage.has_value());
    BOOST_TEST(c.text() == "a");
}

// docs/wire.md, "Null, empty or missing fields": empty, null or missing delta;
// content null; role only once.
BOOST_AUTO_TEST_CASE(null_and_empty_fields) {
    for (const char* text : {
             R"({"choices":[{"index":0,"delta":{}}]})",
             R"({"choices":[{"index":0,"delta":null}]})",
             R"({"choices":[{"index":0}]})",
             R"({"choices":[{"index":0,"delta":{"role":null,"content":null,"reasoning_content":null,)"
             R"("tool_calls":null},"finish_reason":null,"logprobs":null}]})",
             R"({"choices":[{"index":0,"delta":{"tool_calls":[]}}]})",
         }) {
        BOOST_TEST_CONTEXT(text) {
            const chat_chunk c = decode_ok(text);
            BOOST_TEST_REQUIRE(c.choices.size() == 1u);
            const chunk_delta& d = c.choices[0].delta;
            BOOST_TEST(!d.role.has_value());
            BOOST_TEST(!d.content.has_value());
            BOOST_TEST(!d.reasoning_content.has_value());
            BOOST_TEST(d.tool_calls.empty());
            BOOST_TEST(!c.choices[0].finish_reason.has_value());
        }
    }
}

// docs/wire.md, "Reasoning under two names".
BOOST_AUTO_TEST_CASE(reasoning_alias) {
    chat_chunk c = decode_ok(R"({"choices":[{"delta":{"reasoning":"think"}}]})");
    CHECK_OPT(c.choices[0].delta.reasoning_content, "think");
    c = decode_ok(R"({"choices":[{"delta":{"reasoning_content":"a","reasoning":"b"}}]})");
    CHECK_OPT(c.choices[0].delta.reasoning_content, "a");
    c = decode_ok(R"({"choices":[{"delta":{"reasoning":"b","reasoning_content":"a"}}]})");
    CHECK_OPT(c.choices[0].delta.reasoning_content, "a");
    c = decode_ok(R"({"choices":[{"delta":{"reasoning":"b","reasoning_content":null}}]})");
    CHECK_OPT(c.choices[0].delta.reasoning_content, "b");
    c = decode_ok(R"({"choices":[{"delta":{"reasoning_content":"","reasoning":"b"}}]})");
    CHECK_OPT(c.choices[0].delta.reasoning_content, "b");
    c = decode_ok(R"({"choices":[{"delta":{"reasoning":null}}]})");
    BOOST_TEST(!c.choices[0].delta.reasoning_content.has_value());
}

// docs/wire.md, "Unknown members kept in extra" and "Object member not checked".
BOOST_AUTO_TEST_CASE(unknown_members_and_wrong_object) {
    const chat_chunk c =
        decode_ok(R"({"id":"x","object":"chat.completion","provider":"OpenAI","cost":0.0012,"obfuscation":"aZ3",)"
                  R"("choices":[{"index":0,"delta":{"content":"a","audio":{"id":"q"}},"native_finish_reason":null}]})");
    BOOST_TEST(c.object == "chat.completion");
    CHECK_JSON(json::value(c.extra), R"({"provider":"OpenAI","cost":0.0012,"obfuscation":"aZ3"})");
    BOOST_TEST(c.text() == "a");
}

BOOST_AUTO_TEST_CASE(unknown_members_at_every_level) {
    const chat_chunk c = decode_ok(
        R"({"id":"x","choices":[{"index":0,"native_finish_reason":"STOP","delta":{"content":"a","audio":{"id":"q"},)"
        R"("tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":"{}","strange":1},)"
        R"("extra_content":{"google":{"thought_signature":"sig"}}}]}}]})");
    const chunk_choice& choice = c.choices.at(0);
    CHECK_JSON(json::value(choice.extra), R"({"native_finish_reason":"STOP"})");
    CHECK_JSON(json::value(choice.delta.extra), R"({"audio":{"id":"q"}})");
    CHECK_JSON(json::value(choice.delta.tool_calls.at(0).extra),
               R"({"extra_content":{"google":{"thought_signature":"sig"}}})");

    // The next event, read into the same chunk, has none: they are gone.
    chunk_decoder decoder;
    chat_chunk reused;
    diagnostics diag;
    BOOST_TEST(!decoder.decode(json::serialize(to_json(c)), reused, diag));
    BOOST_TEST(!reused.choices.at(0).extra.empty());
    BOOST_TEST(!decoder.decode(R"({"id":"x","choices":[{"index":0,"delta":{"content":"b"}}]})", reused, diag));
    BOOST_TEST(reused.choices.at(0).extra.empty());
    BOOST_TEST(reused.choices.at(0).delta.extra.empty());
}

BOOST_AUTO_TEST_CASE(tool_call_fragments) {
    const chat_chunk first =
        decode_ok(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,)"
                  R"("id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]})");
    BOOST_TEST_REQUIRE(first.choices[0].delta.tool_calls.size() == 1u);
    const tool_call_delta& t = first.choices[0].delta.tool_calls[0];
    BOOST_TEST(t.index == 0);
    CHECK_OPT(t.id, "call_1");
    CHECK_OPT(t.type, "function");
    CHECK_OPT(t.name, "get_weather");
    CHECK_OPT(t.arguments, "");

    const chat_chunk next =
        decode_ok(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"ci"}}]}}]})");
    const tool_call_delta& u = next.choices[0].delta.tool_calls[0];
    BOOST_TEST(u.index == 1);
    BOOST_TEST(!u.id.has_value());
    BOOST_TEST(!u.type.has_value());
    BOOST_TEST(!u.name.has_value());
    CHECK_OPT(u.arguments, "{\"ci");
}

// docs/wire.md, "Missing or repeated index": an index repeated inside one
// chunk is kept as it came; the accumulator merges. A fragment without index
// takes its position.
BOOST_AUTO_TEST_CASE(repeated_and_missing_tool_call_index) {
    const chat_chunk c =
        decode_ok(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f"}},)"
                  R"({"index":0,"function":{"arguments":"{}"}},{"function":{"arguments":"x"}}]}}]})");
    const auto& calls = c.choices[0].delta.tool_calls;
    BOOST_TEST_REQUIRE(calls.size() == 3u);
    BOOST_TEST(calls[0].index == 0);
    BOOST_TEST(calls[1].index == 0);
    CHECK_OPT(calls[1].arguments, "{}");
    BOOST_TEST(calls[2].index == 2);
    CHECK_OPT(calls[2].arguments, "x");
}

BOOST_AUTO_TEST_CASE(choices_in_any_order_and_missing_index) {
    const chat_chunk c = decode_ok(R"({"choices":[{"index":1,"delta":{"content":"b"}},{"delta":{"content":"x"}}]})");
    BOOST_TEST_REQUIRE(c.choices.size() == 2u);
    BOOST_TEST(c.choices[0].index == 1);
    BOOST_TEST(c.choices[1].index == 1); // its position
    CHECK_OPT(c.choices[1].delta.content, "x");
}

BOOST_AUTO_TEST_CASE(content_as_text_parts) {
    const chat_chunk c =
        decode_ok(R"({"choices":[{"delta":{"content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"}]}}]})");
    CHECK_OPT(c.choices[0].delta.content, "Hello");
    check_malformed(R"({"choices":[{"delta":{"content":[{"type":"image_url","image_url":{"url":"x"}}]}}]})",
                    "choices[0].delta.content[0].type: expected \"text\"");
}

BOOST_AUTO_TEST_CASE(logprobs_kept) {
    const chat_chunk c =
        decode_ok(R"({"choices":[{"delta":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":-0.5}]}}]})");
    CHECK_JSON(c.choices[0].logprobs, R"({"content":[{"token":"a","logprob":-0.5}]})");
}

BOOST_AUTO_TEST_CASE(integral_doubles_and_usage_details) {
    const chat_chunk c =
        decode_ok(R"({"created":1.0E9,"choices":[{"index":1.0,"delta":{}}],"usage":{"prompt_tokens":3,)"
                  R"("completion_tokens_details":{"reasoning_tokens":2},"cost":1}})");
    CHECK_OPT(c.created, 1000000000);
    BOOST_TEST(c.choices[0].index == 1);
    BOOST_TEST_REQUIRE(c.usage.has_value());
    CHECK_OPT(c.usage->completion_tokens_details->reasoning_tokens, 2);
    CHECK_JSON(json::value(c.usage->extra), R"({"cost":1})");
}

// docs/wire.md, "Error objects inside a stream": an error after the first
// token comes as a chunk with HTTP 200.
BOOST_AUTO_TEST_CASE(error_chunk) {
    diagnostics diag;
    chunk_decoder decoder;
    chat_chunk c;
    const char* text = R"({"id":"x","error":{"message":"upstream overloaded","type":"server_error",)"
                       R"("code":502,"param":"model"},"choices":[{"index":0,"delta":{},"finish_reason":"error"}]})";
    BOOST_TEST((decoder.decode(text, c, diag) == error::stream_error));
    // The choice beside the error is read too, for the stream to merge.
    BOOST_TEST_REQUIRE(c.choices.size() == 1u);
    CHECK_OPT(c.choices[0].finish_reason, "error");
    BOOST_TEST(diag.message == "upstream overloaded");
    BOOST_TEST(diag.type == "server_error");
    BOOST_TEST(diag.code == json::value(502));
    CHECK_OPT(diag.param, "model");
    // The rest is read, and the error is not an unknown member.
    BOOST_TEST_REQUIRE(c.choices.size() == 1u);
    CHECK_OPT(c.choices[0].finish_reason, "error");
    BOOST_TEST(c.extra.empty());

    diagnostics mapped;
    chat_chunk m;
    BOOST_TEST((from_json(json::parse(text), m, mapped) == error::stream_error));
    BOOST_TEST(mapped.message == "upstream overloaded");

    diagnostics d2;
    BOOST_TEST(
        (decode_error(R"({"error":{"message":"quota","code":"insufficient_quota"}})", d2) == error::stream_error));
    BOOST_TEST(d2.message == "quota");
    BOOST_TEST(d2.code == json::value("insufficient_quota"));
    BOOST_TEST(!d2.param.has_value());

    diagnostics d3;
    BOOST_TEST((decode_error(R"({"error":"rate limited"})", d3) == error::stream_error));
    BOOST_TEST(d3.message == "rate limited");

    diagnostics d4; // no message: a generic one, and what the gateway sent
    BOOST_TEST((decode_error(R"({"error":{"code":500}})", d4) == error::stream_error));
    BOOST_TEST(d4.message == "the gateway reported an error in the stream");
    BOOST_TEST(d4.body_excerpt == R"({"code":500})");

    // A malformed member does not hide the error.
    diagnostics d5;
    BOOST_TEST((decode_error(R"({"choices":7,"error":{"message":"boom"}})", d5) == error::stream_error));
    BOOST_TEST(d5.message == "boom");

    // "error": null is no error.
    const chat_chunk ok = decode_ok(R"({"error":null,"choices":[{"delta":{"content":"a"}}]})");
    BOOST_TEST(ok.text() == "a");
    BOOST_TEST(ok.extra.empty());
}

BOOST_AUTO_TEST_CASE(invalid_json) {
    for (const std::string& text : {
             std::string(""),
             std::string("[DONE]"),
             std::string(R"({"choices":[)"),
             std::string(R"({"id":"x"} trailing)"),
             std::string(R"({"id":"x",})"),
             std::string("{\"id\":\"\xFF\"}"),
             std::string("{\"choices\":[{\"delta\":{\"content\":\"\xED\xA0\x80\"}}]}"), // a surrogate
             std::string("{\"choices\":[{\"delta\":{\"content\":\"\xC0\xAF\"}}]}"),     // overlong
             std::string("{\"choices\":[{\"delta\":{\"content\":\"ab\xE2\x82\"}}]}"),   // cut short
             std::string(100, '[') + std::string(100, ']'),
         }) {
        BOOST_TEST_CONTEXT(text) {
            diagnostics diag;
            BOOST_TEST((decode_error(text, diag) == error::invalid_json));
            BOOST_TEST(diag.message.rfind("invalid JSON: ", 0) == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(wrong_types_name_their_path) {
    check_malformed(R"([1,2])", "top level: expected object");
    check_malformed(R"("chunk")", "top level: expected object");
    check_malformed(R"({"id":5})", "id: expected string");
    check_malformed(R"({"created":"now"})", "created: expected integer");
    check_malformed(R"({"choices":{}})", "choices: expected array");
    check_malformed(R"({"choices":[5]})", "choices[0]: expected object");
    check_malformed(R"({"choices":[{"index":"0"}]})", "choices[0].index: expected integer");
    check_malformed(R"({"choices":[{},{"delta":[]}]})", "choices[1].delta: expected object");
    check_malformed(R"({"choices":[{"delta":{"content":5}}]})", "choices[0].delta.content: expected string or array");
    check_malformed(R"({"choices":[{"delta":{"role":true}}]})", "choices[0].delta.role: expected string");
    check_malformed(R"({"choices":[{"delta":{"reasoning":1}}]})", "choices[0].delta.reasoning: expected string");
    check_malformed(R"({"choices":[{"delta":{"tool_calls":{}}}]})", "choices[0].delta.tool_calls: expected array");
    check_malformed(R"({"choices":[{"delta":{"tool_calls":[{"index":0.5}]}}]})",
                    "choices[0].delta.tool_calls[0].index: expected integer");
    check_malformed(R"({"choices":[{"delta":{"tool_calls":[{},{"function":{"arguments":{}}}]}}]})",
                    "choices[0].delta.tool_calls[1].function.arguments: expected string");
    check_malformed(R"({"choices":[{"delta":{"tool_calls":[{"function":"f"}]}}]})",
                    "choices[0].delta.tool_calls[0].function: expected object");
    check_malformed(R"({"choices":[{"finish_reason":1}]})", "choices[0].finish_reason: expected string");
    check_malformed(R"({"usage":{"prompt_tokens":"9"}})", "usage.prompt_tokens: expected integer");
    check_malformed(R"({"usage":[]})", "usage: expected object");
    check_malformed(R"({"system_fingerprint":1})", "system_fingerprint: expected string");
}

BOOST_AUTO_TEST_CASE(to_json_writes_the_wire_form) {
    chat_chunk c;
    c.id = "chatcmpl-1";
    c.created = 7;
    c.model = "m";
    chunk_choice& ch = c.choices.emplace_back();
    ch.index = 0;
    ch.delta.role = "assistant";
    ch.delta.content = "hi";
    tool_call_delta& t = ch.delta.tool_calls.emplace_back();
    t.index = 0;
    t.id = "call_1";
    t.type = "function";
    t.name = "f";
    t.arguments = "{}";
    ch.finish_reason = "stop";
    c.system_fingerprint = "fp";
    c.extra["provider"] = "X";
    CHECK_JSON(to_json(c), R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m",)"
                           R"("choices":[{"index":0,"delta":{"role":"assistant","content":"hi","tool_calls":)"
                           R"([{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
                           R"("finish_reason":"stop"}],"system_fingerprint":"fp","provider":"X"})");

    chat_chunk usage_only;
    usage_only.object = "custom";
    usage_only.usage.emplace().total_tokens = 3;
    CHECK_JSON(to_json(usage_only),
               R"({"id":"","object":"custom","model":"","choices":[],"usage":{"total_tokens":3}})");

    // A fragment's `function` holds what it has, and is left out when empty.
    tool_call_delta& more = ch.delta.tool_calls.emplace_back();
    more.index = 0;
    more.arguments = "{\"a\":";
    tool_call_delta& bare = ch.delta.tool_calls.emplace_back();
    bare.index = 1;
    bare.extra["extra_content"] = json::object{{"google", 1}};
    CHECK_JSON(to_json(c).at("choices").at(0).at("delta").at("tool_calls"),
               R"([{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}},)"
               R"({"index":0,"function":{"arguments":"{\"a\":"}},{"index":1,"extra_content":{"google":1}}])");

    // And back, also through Boost.JSON's conversions.
    chat_chunk back;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!from_json(to_json(c), back, diag));
    BOOST_TEST(back.object == "chat.completion.chunk"); // written for an empty one
    back.object.clear();
    BOOST_TEST((back == c));
    BOOST_TEST(json::value_from(c) == to_json(c));
    BOOST_TEST((json::value_to<chat_chunk>(json::value_from(usage_only)) == usage_only));
}

BOOST_AUTO_TEST_CASE(from_json_resets_out) {
    chat_chunk c = decode_ok(R"({"id":"a","provider":"p","choices":[{"delta":{"content":"x"}}],"usage":{}})");
    diagnostics diag;
    BOOST_TEST_REQUIRE(!from_json(json::parse(R"({"model":"m"})"), c, diag));
    BOOST_TEST(c.id.empty());
    BOOST_TEST(c.model == "m");
    BOOST_TEST(c.choices.empty());
    BOOST_TEST(c.extra.empty());
    BOOST_TEST(!c.usage.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(chunk_decoding)

// Decoding into one reused chunk gives what a fresh chunk gets, whatever came
// before: no member survives from an earlier event.
BOOST_AUTO_TEST_CASE(reused_chunk_equals_fresh_one) {
    const std::vector<std::string> events = {
        R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp",)"
        R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null,)"
        R"("provider":"A","obfuscation":"xyz"})",
        R"({"id":"c1","choices":[{"index":0,"delta":{"reasoning":"let me think about it for a while"}}],)"
        R"("obfuscation":"abcdefghijklmnopqrstuvwxyz","cost":1})",
        R"({"id":"c1","choices":[{"index":0,"delta":{"content":"The answer is forty-two, of course."},)"
        R"("logprobs":{"content":[]}}],"obfuscation":"q"})",
        R"({"id":"c1","choices":[{"index":1,"delta":{"tool_calls":[{"index":0,"id":"call_abcdefghijklmnop",)"
        R"("type":"function","function":{"name":"lookup","arguments":""}},{"index":1,"function":{"arguments":"{"}}]}},)"
        R"({"index":0,"delta":{"content":"x"}}]})",
        R"({"id":"c1","choices":[{"index":1,"delta":{"tool_calls":[{"index":0,)"
        R"("function":{"arguments":"{\"q\":1}"}}]}}]})",
        R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"provider":"B"})",
        R"({"id":"c1","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})",
        R"({"error":{"message":"late failure"},"choices":[{"delta":{"content":"partial"},"finish_reason":"error"}]})",
        R"({"id":"c2","choices":[{"delta":{"content":"again"}}]})",
        R"({"choices":5})",
        R"({"id":"c3","choices":[{"delta":{"content":"after an error"}}],"created":9})",
    };
    chunk_decoder decoder;
    chat_chunk reused;
    for (int round = 0; round < 2; ++round) {
        for (const std::string& e : events) {
            BOOST_TEST_CONTEXT("round " << round << ": " << e) {
                diagnostics d1;
                diagnostics d2;
                chat_chunk fresh;
                const error_code e1 = decoder.decode(e, reused, d1);
                const error_code e2 = from_json(json::parse(e), fresh, d2);
                BOOST_TEST(e1 == e2);
                BOOST_TEST(d1.message == d2.message);
                if (!e1 || e1 == error::stream_error)
                    BOOST_TEST(json::serialize(to_json(reused)) == json::serialize(to_json(fresh)));
            }
        }
    }
}

// The usual chunks are read straight from their text, without a tree; what
// the chunk reader does not read exactly as the tree reader would goes through
// the tree. Both give what from_json gives.
BOOST_AUTO_TEST_CASE(usual_chunks_skip_the_tree) {
    const std::vector<std::string> usual = {
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini",)"
        R"("service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant",)"
        R"("content":"the","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null})",
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini",)"
        R"("service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":)"
        R"("\n\"quoted\" \\back\\slash caf\u00e9 \ud83d\ude00"},"logprobs":null,"finish_reason":null}],"usage":null})",
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini",)"
        "\"service_tier\":\"default\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
        "\"raw caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}}],\"usage\":null}",
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini",)"
        R"("service_tier":"priority","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"reasoning":"hm",)"
        R"("extra_content":{"google":{"thought":true}},"annotations":[1,[2],{"a":null}]},"native_finish_reason":null}],)"
        R"("usage":null})",
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini",)"
        R"("service_tier":7,"system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,)"
        R"("id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\""}},{"index":1,)"
        R"("function":{"arguments":"x"},"extra_content":{}}]}}],"usage":null})",
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini",)"
        R"("service_tier":true,"system_fingerprint":null,"choices":[{"index":1,"delta":{"content":"b"}},)"
        R"({"delta":{"content":"a","reasoning_content":"r","reasoning":"ignored"}}],"usage":null})",
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini",)"
        R"("service_tier":1.5,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null})",
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini",)"
        R"("service_tier":null,"choices":null,"usage":null})",
    };
    chunk_decoder decoder;
    chat_chunk reused;
    for (const std::string& e : usual) {
        BOOST_TEST_CONTEXT(e) {
            diagnostics diag;
            BOOST_TEST_REQUIRE(!decoder.decode(e, reused, diag), diag.message);
            chat_chunk fresh;
            BOOST_TEST_REQUIRE(!from_json(json::parse(e), fresh, diag), diag.message);
            BOOST_TEST(json::serialize(to_json(reused)) == json::serialize(to_json(fresh)));
        }
    }
    BOOST_TEST(decoder.tree_reads() == 0u);
    BOOST_TEST(decoder.arena_size() == 0u);

    // Each of these needs the tree once.
    const std::vector<std::string> unusual = {
        R"({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})",
        R"({"choices":[{"delta":{"content":"x"},"logprobs":{"content":[]}}]})",
        R"({"choices":[{"delta":{"content":[{"type":"text","text":"a"}]}}]})",
        R"({"error":{"message":"late"}})",
        R"({"created":12.0,"choices":[]})",
        R"({"id":"a","id":"b"})",
        R"({"choices":[{"delta":{"content":"a","content":"b"}}]})",
        R"({"provider":{"name":"x"}})",
        R"({"other":"y"})", // the previous chunk's `provider` is gone
        R"({"choices":[null]})",
        R"({"choices":[{"delta":{"content":1}}]})",
        R"({"id":"x"} trailing)",
        R"([1])",
    };
    std::size_t expected = 0;
    for (const std::string& e : unusual) {
        BOOST_TEST_CONTEXT(e) {
            diagnostics d1;
            diagnostics d2;
            const error_code e1 = decoder.decode(e, reused, d1);
            BOOST_TEST(decoder.tree_reads() == ++expected);
            chat_chunk fresh;
            boost::system::error_code parse_ec;
            const json::value v = json::parse(e, parse_ec);
            const error_code e2 = parse_ec ? error_code(error::invalid_json) : from_json(v, fresh, d2);
            BOOST_TEST(e1 == e2);
            if (!e1 || e1 == error::stream_error)
                BOOST_TEST(json::serialize(to_json(reused)) == json::serialize(to_json(fresh)));
        }
    }
}

// The chunk reader scans JSON text by hand: whatever it reads, it reads as
// the tree parser would, and what it gives up on (invalid text, numbers only
// Boost.JSON converts) the tree reads. Strings are scanned 16 bytes at a
// time, so escapes and multi-byte sequences sit across those boundaries here.
BOOST_AUTO_TEST_CASE(chunk_reader_reads_json_as_the_tree_parser_does) {
    struct event {
        std::string text;
        bool needs_tree;
    };
    const std::string sixteen = "0123456789abcdef";
    const std::vector<event> events = {
        {" \t\r\n{ \"id\" : \"a\" ,\n \"choices\" : [ { \"index\" : 0 , \"delta\" : { \"content\" : \"x\" } } ] }\n ",
         false},
        {R"({"\u0069d":"escaped key","choices":[{"delta":{"content":"a\/b\b\f\r\t"}}]})", false},
        {"{\"choices\":[{\"delta\":{\"content\":\"" + sixteen.substr(0, 15) + "\\n" + sixteen + "\xC3\xA9" +
             sixteen.substr(0, 14) + "\xF0\x9F\x98\x80" + "\"}}]}",
         false},
        {"{\"choices\":[{\"delta\":{\"content\":\"" + sixteen + "\\u00e9\\uD83D\\uDE00" + sixteen + "\"}}]}", false},
        {R"({"created":-5,"choices":[{"index":null,"delta":{"tool_calls":[{"index":null,"function":null}]}}]})", false},
        {R"({"choices":[{"delta":{"x":{"y":[{"z":[1.5,-0,"\u00e9",true,null,{}]}]},"content":"c"}}]})", false},
        {R"({"choices":[{"delta":{"x":[1e999999999,-2E-000000000012],"content":"del \u007f)"
         "\x7f"
         R"("}}]})",
         false},
        // A skipped member nested 59 deep inside the delta: 63 levels in all.
        {"{\"choices\":[{\"delta\":{\"x\":" + std::string(59, '[') + std::string(59, ']') + "}}]}", false},
        // Unknown members, the same set twice; the next event lacks them (the tree removes them).
        {R"({"a":-1,"b":-9223372036854775808,"c":9223372036854775808,"d":18446744073709551615,"e":1.5e3,"f":-0,)"
         R"("g":0.25,"h":1E-2,"i":false,"j":"s"})",
         false},
        {R"({"a":-2,"b":-9223372036854775808,"c":9223372036854775808,"d":18446744073709551615,"e":2,"f":-0.0,)"
         R"("g":1e400,"h":null,"i":true,"j":""})",
         false},
        {"{\"choices\":[{\"delta\":{\"content\":\"" + sixteen + "\xC3\x28\"}}]}", true}, // invalid UTF-8
        {"{\"choices\":[{\"delta\":{\"content\":\"\xED\xA0\x80\"}}]}", true},            // an encoded surrogate
        {"{\"choices\":[{\"delta\":{\"content\":\"\xF4\x90\x80\x80\"}}]}", true},        // above U+10FFFF
        {"{\"choices\":[{\"delta\":{\"content\":\"\xE0\x80\xAF\"}}]}", true},            // overlong
        // Lone surrogates: U+FFFD. Through the tree the first time, as every
        // valid event after the invalid ones: the unknown members of the
        // events before those are still in the chunk.
        {R"({"choices":[{"delta":{"content":"\ud800 lone"}}]})", true},
        {R"({"choices":[{"delta":{"content":"\udc00"}}]})", false},
        {R"({"choices":[{"delta":{"content":"\x41"}}]})", true},
        {"{\"choices\":[{\"delta\":{\"content\":\"tab\tinside\"}}]}", true},
        {R"({"choices":[{"delta":{"content":"\ud800\u0041"}}]})", false},
        {R"({"id":"\ud800","choices":[{"delta":{"content":"\ud800"}}]})", false}, // also outside free text
        {R"({"choices":[{"delta":{"content":"\udc00"}}],"usage":{"total_tokens":1}})", true},
        {"{\"choices\":[{\"delta\":{\"content\":\"\xC0\x80\"}}]}", true},
        {"{\"choices\":[{\"delta\":{\"content\":\"\xC1\xBF\"}}]}", true},
        {"{\"choices\":[{\"delta\":{\"content\":\"\xF5\x80\x80\x80\"}}]}", true},
        {"{\"choices\":[{\"delta\":{\"content\":\"" + sixteen + "\xE2\x82", true}, // cut inside a sequence
        {R"({"choices":[{"delta":{"x":1e2147483648}}]})", true},                   // the exponent overflows
        {R"({"choices":[{"delta":{"x":12345678901234567890e2147483647}}]})", true},
        {"{\"choices\":[{\"delta\":{\"x\":" + std::string(60, '[') + std::string(60, ']') + "}}]}", true}, // 64 levels
        {"{\"choices\":[{\"delta\":{\"x\":" + std::string(61, '[') + std::string(61, ']') + "}}]}", true}, // 65
        {R"({"created":01})", true},
        {R"({"created":-0})", true},
        {R"({"created":1.})", true},
        {R"({"created":12345678901234567890})", true},
        {R"({"id":"a",})", true},
        {R"({"choices":[1,]})", true},
        {R"({"id":"a"})" + std::string(1, '\0'), true},
        {R"({"id":"a"} {})", true},
        {R"({"id" "a"})", true},
        {R"({"id":"unterminated)", true},
        {R"({"id":nul})", true},
    };
    chunk_decoder decoder;
    surrogate_mender mender; // what the decoder does after reading, for the tree's chunks
    chat_chunk reused;
    std::size_t tree_reads = 0;
    for (const event& e : events) {
        BOOST_TEST_CONTEXT(e.text) {
            diagnostics d1;
            diagnostics d2;
            const error_code e1 = decoder.decode(e.text, reused, d1);
            if (e.needs_tree)
                ++tree_reads;
            BOOST_TEST(decoder.tree_reads() == tree_reads);
            chat_chunk fresh;
            error_code parse_ec;
            const json::value v = parse_json_tree(e.text, {}, lone_surrogate_rule::keep_in_chunk_free_text, parse_ec);
            const error_code e2 = parse_ec ? error_code(error::invalid_json) : from_json(v, fresh, d2);
            if (!e2)
                mender.mend(fresh);
            BOOST_TEST(e1 == e2);
            if (!e1)
                BOOST_TEST(json::serialize(to_json(reused)) == json::serialize(to_json(fresh)));
        }
    }
}

// The chunks of a stream repeat their first members (id, object, created,
// model, fingerprint) byte for byte: the decoder reads them once and goes on
// after them while the event starts as the previous one did and the chunk is
// the one it filled. Each chunk must still be what from_json reads.
BOOST_AUTO_TEST_CASE(members_repeated_from_the_previous_event_read_the_same) {
    const std::string prefix = R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,)"
                               R"("model":"m\u00e9","service_tier":"default","system_fingerprint":"fp_1",)";
    const auto content = [&](const std::string& text, const std::string& after = "") {
        return prefix + R"("choices":[{"index":0,"delta":{"content":")" + text + R"("}}])" + after + "}";
    };
    const std::vector<std::string> events = {
        content("a"),
        content("b", R"(,"usage":null)"),
        content("c", R"(,"x":1)"),         // an unknown member after the prefix
        content("d", R"(,"x":2,"y":"z")"), // and another
        content("e"),                      // lacking them: the tree
        content("f"),
        prefix + R"("choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})", // the tree
        content("g"),
        content("h"),
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"delta":{"content":"i"}}]})", // the tree
        content("j"),
        prefix + R"( "choices":[{"delta":{"content":"k"}}]})", // the same start, then a space
        R"({"id":"chatcmpl-2",)" + prefix.substr(std::string(R"({"id":"chatcmpl-1",)").size()) +
            R"("choices":[{"delta":{"content":"l"}}]})",
        "{\"service_tier\":\"" + std::string(2000, 's') + R"(","choices":[{"delta":{"content":"m"}}]})", // long
        "{\"service_tier\":\"" + std::string(2000, 's') + R"(","choices":[{"delta":{"content":"n"}}]})",
        content("o"),
        content("p", R"(,"id":"again")"), // a repeated member after the prefix: the tree
        content("q"),
    };
    chunk_decoder decoder;
    chat_chunk reused;
    decode_each_as_from_json(decoder, reused, events);
    BOOST_TEST(decoder.tree_reads() == 4u);

    // Another chunk is read in full, even one that holds the same members.
    diagnostics diag;
    chat_chunk other = reused;
    other.id = "another";
    BOOST_TEST_REQUIRE(!decoder.decode(content("r"), other, diag));
    BOOST_TEST(other.id == "chatcmpl-1");
    BOOST_TEST(other.model == "m\u00e9");
    BOOST_TEST(other.extra.at("service_tier") == "default");
    BOOST_TEST(other.text() == "r");
}

// Most chunks of a stream differ from the previous one only in the value of
// one free-text string (a delta's content or reasoning, a tool call's
// arguments): the decoder then reads that string only. Every other change,
// however close, must still give what from_json gives.
BOOST_AUTO_TEST_CASE(chunks_differing_in_one_string_read_the_same) {
    const std::string start = R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"m",)";
    const auto content = [&](const std::string& text, const std::string& finish = "null") {
        return start + R"("choices":[{"index":0,"delta":{"content":")" + text +
               R"("},"logprobs":null,"finish_reason":)" + finish + R"(}],"usage":null})";
    };
    const auto two_choices = [&](const std::string& first, const std::string& second) {
        return start + R"("choices":[{"delta":{"content":")" + first + R"("}},{"index":1,"delta":{)" + second + "}}]}";
    };
    const auto reasoning = [&](const std::string& both) { return start + R"("choices":[{"delta":{)" + both + "}}]}"; };
    const auto arguments = [&](const std::string& text) {
        return start + R"("choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":")" + text +
               R"("}},{"index":1,"id":"t"}]}}]})";
    };
    const std::vector<std::string> events = {
        content(""),
        content("a"),
        content(R"(b\u00e9\"\\n\u00e9)"), // escapes
        content("\xc3\xa9 caf\xc3\xa9"),
        content("\xc3"), // invalid UTF-8: the tree's error
        content("c"),
        content("\\ud800"), // a lone surrogate
        content("d"),
        content("e\",\"x\":\"y"), // another member after the string, the same end
        content("f"),
        content("g\"}}],\"usage\":null}  "), // the string ends where the end was
        content("h"),
        start +
            R"("choices":[{"index":0,"delta":{"content":null},"logprobs":null,"finish_reason":null}],"usage":null})",
        content("i"),
        start + R"("choices":[{"index":0,"delta":{"content":1},"logprobs":null,"finish_reason":null}],"usage":null})",
        content("j"),
        content("k", R"("stop")"), // the end changes
        content("l", R"("stop")"),
        content("m\x01"), // a control character
        content("n"),
        content("o", R"("length")"),
        two_choices("p", R"("role":"assistant")"), // a choice more: the first one's content is last
        two_choices("q", R"("role":"assistant")"),
        two_choices("q", R"("content":"r")"),
        two_choices("q", R"("content":"s")"),
        two_choices("t", R"("content":"s")"),
        reasoning(R"("reasoning_content":"u","reasoning":"v")"), // `reasoning` stands for an empty one
        reasoning(R"("reasoning_content":"","reasoning":"v")"),
        reasoning(R"("reasoning":"v","reasoning_content":"w")"),
        reasoning(R"("reasoning":"v","reasoning_content":"")"),
        reasoning(R"("reasoning_content":"x")"),
        reasoning(R"("reasoning_content":"")"),
        arguments("{\\\"a"),
        arguments("\\\": 1}"),
        arguments(""),
        content("y") + " ",
        content("z") + std::string(300, ' '), // too long an end to keep
        content("0") + std::string(300, ' '),
    };
    chunk_decoder decoder;
    chat_chunk reused;
    decode_each_as_from_json(decoder, reused, events);

    // That only the string was read shows when the chunk is changed against
    // the decoder's contract: a member changed in between stays as it was.
    diagnostics diag;
    BOOST_TEST_REQUIRE(!decoder.decode(content("1"), reused, diag));
    BOOST_TEST_REQUIRE(!decoder.decode(content("2"), reused, diag));
    reused.choices[0].finish_reason = "changed";
    BOOST_TEST_REQUIRE(!decoder.decode(content("3"), reused, diag));
    BOOST_TEST(reused.text() == "3");
    BOOST_TEST(reused.choices[0].finish_reason.value_or("") == "changed");
    // Another chunk is read in full.
    chat_chunk other = reused;
    BOOST_TEST_REQUIRE(!decoder.decode(content("4"), other, diag));
    BOOST_TEST(!other.choices[0].finish_reason);
    BOOST_TEST(other.text() == "4");
}

// An unknown member named twice in one event, while the previous event had
// another one as many times: the counts match, the members do not.
BOOST_AUTO_TEST_CASE(repeated_unknown_member_goes_through_the_tree) {
    chunk_decoder decoder;
    chat_chunk reused;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!decoder.decode(R"({"x":true,"y":1,"z":18446744073709551614})", reused, diag));
    BOOST_TEST(decoder.tree_reads() == 0u);
    const std::string repeated = R"({"z":true,"y":1,"z":18446744073709551614})";
    BOOST_TEST_REQUIRE(!decoder.decode(repeated, reused, diag));
    BOOST_TEST(decoder.tree_reads() == 1u);
    chat_chunk fresh;
    BOOST_TEST_REQUIRE(!from_json(json::parse(repeated), fresh, diag));
    BOOST_TEST(json::serialize(to_json(reused)) == json::serialize(to_json(fresh)));
    BOOST_TEST(!reused.extra.contains("x"));
}

// The strings of a reused chunk keep their buffers: same data() from event to
// event, and a buffer comes back to a member that was absent in between.
BOOST_AUTO_TEST_CASE(memory_is_reused) {
    const std::string long_text(40, 'a'); // beyond the small-string buffer
    const auto content = [&](char c) {
        return R"({"id":"chatcmpl-0123456789abcdefghij","model":"openai/gpt-4o-2024-08-06","choices":[{"index":0,)"
               R"("delta":{"content":")" +
               std::string(40, c) + R"("}}]})";
    };
    chunk_decoder decoder;
    chat_chunk c;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!decoder.decode(content('a'), c, diag));
    const char* id = c.id.data();
    const char* model = c.model.data();
    const char* text = c.choices[0].delta.content->data();
    const chunk_choice* choices = c.choices.data();

    BOOST_TEST_REQUIRE(!decoder.decode(content('b'), c, diag));
    BOOST_TEST(c.text() == std::string(40, 'b'));
    BOOST_TEST(static_cast<const void*>(c.id.data()) == static_cast<const void*>(id));
    BOOST_TEST(static_cast<const void*>(c.model.data()) == static_cast<const void*>(model));
    BOOST_TEST(static_cast<const void*>(c.choices[0].delta.content->data()) == static_cast<const void*>(text));
    BOOST_TEST(c.choices.data() == choices);

    // A reasoning chunk without content: the content buffer moves to reasoning...
    BOOST_TEST_REQUIRE(
        !decoder.decode(R"({"choices":[{"delta":{"reasoning":")" + std::string(30, 'r') + R"("}}]})", c, diag));
    BOOST_TEST(!c.choices[0].delta.content.has_value());
    BOOST_TEST(static_cast<const void*>(c.choices[0].delta.reasoning_content->data()) ==
               static_cast<const void*>(text));
    // ... and back: content is read before reasoning is found missing, so
    // the first switch takes one more buffer, which the pool keeps. From then
    // on switching takes and gives back one buffer each time
    // (dgrid_alloc_tests: alternating shapes allocate nothing).
    const std::size_t spares = decoder.pooled_strings();
    BOOST_TEST_REQUIRE(!decoder.decode(content('c'), c, diag));
    BOOST_TEST(!c.choices[0].delta.reasoning_content.has_value());
    BOOST_TEST(c.text() == std::string(40, 'c'));
    BOOST_TEST(decoder.pooled_strings() == spares + 1);
    for (int round = 0; round < 3; ++round) {
        BOOST_TEST_REQUIRE(
            !decoder.decode(R"({"choices":[{"delta":{"reasoning":")" + std::string(30, 'r') + R"("}}]})", c, diag));
        BOOST_TEST_REQUIRE(!decoder.decode(content('c'), c, diag));
        BOOST_TEST(decoder.pooled_strings() == spares + 1);
    }

    // Tool-call argument fragments: same buffer fragment after fragment.
    const auto fragment = [](char ch) {
        return R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":")" + std::string(50, ch) +
               R"("}}]}}]})";
    };
    BOOST_TEST_REQUIRE(!decoder.decode(fragment('x'), c, diag));
    const char* args = c.choices[0].delta.tool_calls[0].arguments->data();
    const tool_call_delta* calls = c.choices[0].delta.tool_calls.data();
    BOOST_TEST_REQUIRE(!decoder.decode(fragment('y'), c, diag));
    BOOST_TEST(static_cast<const void*>(c.choices[0].delta.tool_calls[0].arguments->data()) ==
               static_cast<const void*>(args));
    BOOST_TEST(c.choices[0].delta.tool_calls.data() == calls);
    BOOST_TEST(*c.choices[0].delta.tool_calls[0].arguments == std::string(50, 'y'));

    // Unknown string members are overwritten in place.
    const auto padded = [](char ch) { return R"({"obfuscation":")" + std::string(30, ch) + R"("})"; };
    BOOST_TEST_REQUIRE(!decoder.decode(padded('p'), c, diag));
    const char* pad = c.extra.at("obfuscation").as_string().data();
    BOOST_TEST_REQUIRE(!decoder.decode(padded('q'), c, diag));
    BOOST_TEST(static_cast<const void*>(c.extra.at("obfuscation").as_string().data()) == static_cast<const void*>(pad));
    BOOST_TEST(c.extra.at("obfuscation").as_string() == std::string(30, 'q'));
}

// docs/wire.md, "Events of several megabytes": a multi-megabyte event
// decodes; the arena grows for what is common but does not keep megabytes.
BOOST_AUTO_TEST_CASE(large_events) {
    chunk_decoder decoder;
    chat_chunk c;
    diagnostics diag;
    BOOST_TEST(decoder.arena_size() == 0u); // made for the first event that needs a tree

    // A chunk whose tree needs more than 16 KiB: many small members.
    std::string wide = R"({"choices":[{"delta":{"content":"w"},"logprobs":{"content":[)";
    for (int i = 0; i < 600; ++i)
        wide += std::string(i ? "," : "") + R"({"token":"t","logprob":-1.5,"bytes":[116]})";
    wide += "]}}]}";
    BOOST_TEST_REQUIRE(!decoder.decode(wide, c, diag));
    BOOST_TEST(c.choices[0].logprobs.at("content").as_array().size() == 600u);
    BOOST_TEST(decoder.tree_reads() == 1u);
    const std::size_t grown = decoder.arena_size();
    BOOST_TEST(grown > 16u * 1024);
    BOOST_TEST(grown <= 1024u * 1024);
    BOOST_TEST_REQUIRE(!decoder.decode(wide, c, diag));
    BOOST_TEST(decoder.arena_size() == grown); // it fits now

    const std::string image = "data:image/png;base64," + std::string(3u << 20, 'A');
    BOOST_TEST_REQUIRE(!decoder.decode(R"({"choices":[{"delta":{"content":")" + image + R"("}}]})", c, diag));
    BOOST_TEST(c.text() == image);
    BOOST_TEST(decoder.arena_size() <= 1024u * 1024);

    BOOST_TEST_REQUIRE(!decoder.decode(R"({"choices":[{"delta":{"content":"small"}}]})", c, diag));
    BOOST_TEST(c.text() == "small");
}

BOOST_AUTO_TEST_CASE(usable_after_errors_and_moves) {
    chunk_decoder decoder;
    chat_chunk c;
    diagnostics diag;
    BOOST_TEST((decoder.decode(R"({"choices":[{"delta":{"content":"x")", c, diag) == error::invalid_json));
    BOOST_TEST((decoder.decode(R"({"choices":[{"delta":{"content":1}}]})", c, diag) == error::malformed_response));
    BOOST_TEST_REQUIRE(!decoder.decode(R"({"choices":[{"delta":{"content":"ok"}}]})", c, diag));
    BOOST_TEST(c.text() == "ok");

    chunk_decoder moved = std::move(decoder);
    BOOST_TEST_REQUIRE(!moved.decode(R"({"choices":[{"delta":{"content":"moved"}}]})", c, diag));
    BOOST_TEST(c.text() == "moved");
    BOOST_TEST_REQUIRE(!decoder.decode(R"({"choices":[{"delta":{"content":"from"}}]})", c, diag)); // NOLINT
    BOOST_TEST(c.text() == "from");
}

BOOST_AUTO_TEST_SUITE_END()
