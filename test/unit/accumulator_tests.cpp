// chat_accumulator: merging the chunks of a stream into the completion the
// same request would have returned unstreamed.
#include <dgrid/chat_accumulator.hpp>
#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/json.hpp>

#include "test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <variant>
#include <vector>

namespace json = boost::json;
using namespace dgrid;
using dgrid::test::check_equal;

namespace {

chat_chunk chunk(std::string_view text) {
    chat_chunk c;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!from_json(json::parse(text), c, diag), diag.message);
    return c;
}

// Feeds the events through one decoder and one reused chunk, as a stream does.
chat_completion accumulate(const std::vector<std::string>& events) {
    detail::chunk_decoder decoder;
    chat_chunk c;
    chat_accumulator acc;
    for (const std::string& e : events) {
        diagnostics diag;
        BOOST_TEST_REQUIRE(!decoder.decode(e, c, diag), diag.message);
        acc.add(c);
    }
    return acc.take();
}

chat_completion completion(std::string_view text) {
    chat_completion c;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!from_json(json::parse(text), c, diag), diag.message);
    return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(accumulator)

BOOST_AUTO_TEST_CASE(text_stream_equals_unstreamed_answer) {
    const chat_completion streamed = accumulate({
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1735689600,"model":"openai/gpt-4o",)"
        R"("system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":""},)"
        R"("logprobs":null,"finish_reason":null}],"usage":null})",
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1735689600,"model":"openai/gpt-4o",)"
        R"("system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"The meaning"},)"
        R"("logprobs":null,"finish_reason":null}],"usage":null})",
        R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":" of life"}}],"usage":null})",
        R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":" is 42."}}],"usage":null})",
        R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null})",
        R"({"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16}})",
    });
    check_equal(streamed, completion(R"({"id":"chatcmpl-1","object":"chat.completion","created":1735689600,)"
                                     R"("model":"openai/gpt-4o","system_fingerprint":"fp_1","choices":[{"index":0,)"
                                     R"("message":{"role":"assistant","content":"The meaning of life is 42."},)"
                                     R"("finish_reason":"stop"}],)"
                                     R"("usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16}})"));
    BOOST_TEST(streamed.text() == "The meaning of life is 42.");
}

BOOST_AUTO_TEST_CASE(reasoning_then_content) {
    const chat_completion c = accumulate({
        R"({"id":"r","choices":[{"delta":{"role":"assistant","content":null,"reasoning_content":"First, "}}]})",
        R"({"id":"r","choices":[{"delta":{"reasoning":"think."}}]})",
        R"({"id":"r","choices":[{"delta":{"content":"","reasoning_content":""}}]})",
        R"({"id":"r","choices":[{"delta":{"content":"Done","reasoning_content":null}}]})",
        R"({"id":"r","choices":[{"delta":{},"finish_reason":"stop"}]})",
    });
    BOOST_TEST_REQUIRE(c.choices.size() == 1u);
    CHECK_OPT(c.choices[0].message.reasoning_content, "First, think.");
    BOOST_TEST(c.text() == "Done");
    CHECK_OPT(c.choices[0].finish_reason, "stop");
}

BOOST_AUTO_TEST_CASE(refusal_pieces_are_joined) {
    const chat_completion c = accumulate({
        R"({"id":"r","choices":[{"delta":{"role":"assistant","content":null,"refusal":""}}]})",
        R"({"id":"r","choices":[{"delta":{"refusal":"I can't "}}]})",
        R"({"id":"r","choices":[{"delta":{"refusal":null}}]})",
        R"({"id":"r","choices":[{"delta":{"refusal":"help."}}]})",
        R"({"id":"r","choices":[{"delta":{},"finish_reason":"stop"}]})",
    });
    BOOST_TEST_REQUIRE(c.choices.size() == 1u);
    CHECK_OPT(c.choices[0].message.refusal, "I can't help.");
    BOOST_TEST(!c.choices[0].message.content.has_value());
}

BOOST_AUTO_TEST_CASE(two_choices_interleaved) {
    const chat_completion c = accumulate({
        R"({"id":"n","choices":[{"index":1,"delta":{"role":"assistant","content":"B"}}]})",
        R"({"id":"n","choices":[{"index":0,"delta":{"role":"assistant","content":"A"}}]})",
        R"({"id":"n","choices":[{"index":1,"delta":{"content":"b"}},{"index":0,"delta":{"content":"a"}}]})",
        R"({"id":"n","choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"stop"}]})",
        R"({"id":"n","choices":[{"index":1,"delta":{},"finish_reason":"length"}]})",
    });
    check_equal(c,
                completion(R"({"id":"n","object":"chat.completion","model":"","choices":[)"
                           R"({"index":0,"message":{"role":"assistant","content":"Aa!"},"finish_reason":"stop"},)"
                           R"({"index":1,"message":{"role":"assistant","content":"Bb"},"finish_reason":"length"}]})"));
}

BOOST_AUTO_TEST_CASE(tool_calls_across_fragments) {
    const chat_completion c = accumulate({
        R"({"id":"t","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
        R"({"id":"t","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function",)"
        R"("function":{"name":"get_weather","arguments":""}}]}}]})",
        R"({"id":"t","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}}]})",
        R"({"id":"t","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":"}}]}}]})",
        // The second call, its id repeated in every fragment and its name in pieces.
        R"({"id":"t","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function",)"
        R"("function":{"name":"get_"}}]}}]})",
        R"({"id":"t","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b",)"
        R"("function":{"name":"time","arguments":"{}"}}]}}]})",
        R"({"id":"t","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a",)"
        R"("function":{"name":"get_weather","arguments":"\"Paris\"}"}}]}}]})",
        R"({"id":"t","choices":[{"index":0,"delta":{"content":null},"finish_reason":"tool_calls"}]})",
    });
    check_equal(c, completion(R"({"id":"t","object":"chat.completion","model":"m","choices":[{"index":0,)"
                              R"("message":{"role":"assistant","content":null,"tool_calls":[)"
                              R"({"id":"call_a","type":"function","function":{"name":"get_weather",)"
                              R"("arguments":"{\"city\":\"Paris\"}"}},)"
                              R"({"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{}"}}]},)"
                              R"("finish_reason":"tool_calls"}]})"));
    BOOST_TEST(!c.choices[0].message.content.has_value());
}

// Gemini's thought signature on a streamed tool call stays with the call, so
// that sending the answer back sends it too; unknown members of choices and
// deltas stay too, the first value of each.
BOOST_AUTO_TEST_CASE(unknown_members_reach_the_completion) {
    const chat_completion c = accumulate({
        R"({"id":"g","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"c1",)"
        R"("type":"function","function":{"name":"f","arguments":"{}"},)"
        R"("extra_content":{"google":{"thought_signature":"sig"}}}],"audio":1},"native_finish_reason":"A"}]})",
        R"({"id":"g","choices":[{"index":0,"delta":{"audio":2},"native_finish_reason":"B","finish_reason":"tool_calls"}]})",
    });
    BOOST_TEST_REQUIRE(c.choices.size() == 1u);
    const choice& ch = c.choices[0];
    CHECK_JSON(json::value(ch.extra), R"({"native_finish_reason":"A"})");
    CHECK_JSON(json::value(ch.message.extra), R"({"audio":1})");
    BOOST_TEST_REQUIRE(ch.message.tool_calls.size() == 1u);
    CHECK_JSON(json::value(ch.message.tool_calls[0].extra),
               R"({"extra_content":{"google":{"thought_signature":"sig"}}})");
    const json::value sent_back = to_json(ch.message);
    BOOST_TEST(sent_back.at("tool_calls").at(0).at("extra_content").at("google").at("thought_signature") == "sig");
}

// docs/wire.md, "Missing or repeated index": the same index twice in one
// chunk goes to one call, in order.
BOOST_AUTO_TEST_CASE(repeated_index_in_one_chunk) {
    chat_accumulator acc;
    acc.add(chunk(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function",)"
                  R"("function":{"name":"f","arguments":"{\"a\""}},{"index":0,"function":{"arguments":":1}"}}]}}]})"));
    const message& m = acc.completion().choices.at(0).message;
    BOOST_TEST_REQUIRE(m.tool_calls.size() == 1u);
    BOOST_TEST(m.tool_calls[0].id == "call_1");
    BOOST_TEST(m.tool_calls[0].function.name == "f");
    BOOST_TEST(m.tool_calls[0].function.arguments == "{\"a\":1}");
}

BOOST_AUTO_TEST_CASE(tool_calls_sorted_by_index_and_type_default) {
    chat_accumulator acc;
    acc.add(chunk(R"({"choices":[{"delta":{"tool_calls":[{"index":2,"id":"c2","function":{"name":"g"}},)"
                  R"({"index":0,"id":"c0","type":"custom","function":{"name":"f"}}]}}]})"));
    acc.add(
        chunk(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"type":"other","function":{"arguments":"x"}}]}}]})"));
    const auto& calls = acc.completion().choices.at(0).message.tool_calls;
    BOOST_TEST_REQUIRE(calls.size() == 2u);
    BOOST_TEST(calls[0].id == "c0");
    BOOST_TEST(calls[0].type == "custom"); // first one wins
    BOOST_TEST(calls[0].function.arguments == "x");
    BOOST_TEST(calls[1].id == "c2");
    BOOST_TEST(calls[1].type == "function");
    BOOST_TEST(calls[1].function.arguments == "");
}

// Content "" stays "" when no tools are called: that is what the answer was.
BOOST_AUTO_TEST_CASE(empty_content_without_tools) {
    chat_accumulator acc;
    acc.add(chunk(R"({"choices":[{"delta":{"role":"assistant","content":""}}]})"));
    acc.add(chunk(R"({"choices":[{"delta":{},"finish_reason":"content_filter"}]})"));
    const message& m = acc.completion().choices.at(0).message;
    BOOST_TEST_REQUIRE(m.content.has_value());
    BOOST_TEST(std::get<std::string>(*m.content) == "");
    BOOST_TEST(!m.reasoning_content.has_value());
    CHECK_OPT(acc.completion().choices[0].finish_reason, "content_filter");

    // And absent stays absent.
    chat_accumulator none;
    none.add(chunk(R"({"choices":[{"delta":{"role":"assistant"}}]})"));
    BOOST_TEST(!none.completion().choices.at(0).message.content.has_value());
}

BOOST_AUTO_TEST_CASE(role_rules) {
    chat_accumulator acc;
    acc.add(chunk(R"({"choices":[{"delta":{"content":"a"}}]})"));
    BOOST_TEST(acc.completion().choices.at(0).message.role == "assistant"); // the default
    acc.add(chunk(R"({"choices":[{"delta":{"role":"model","content":"b"}}]})"));
    acc.add(chunk(R"({"choices":[{"delta":{"role":"assistant","content":"c"}}]})"));
    BOOST_TEST(acc.completion().choices.at(0).message.role == "model"); // the first one given
    BOOST_TEST(acc.completion().text() == "abc");
}

BOOST_AUTO_TEST_CASE(finish_reason_last_non_null) {
    chat_accumulator acc;
    acc.add(chunk(R"({"choices":[{"delta":{"content":"a"},"finish_reason":"length"}]})"));
    acc.add(chunk(R"({"choices":[{"delta":{},"finish_reason":null}]})"));
    CHECK_OPT(acc.completion().choices.at(0).finish_reason, "length");
    acc.add(chunk(R"({"choices":[{"delta":{},"finish_reason":""}]})"));
    CHECK_OPT(acc.completion().choices.at(0).finish_reason, "length");
    acc.add(chunk(R"({"choices":[{"delta":{},"finish_reason":"stop"}]})"));
    CHECK_OPT(acc.completion().choices.at(0).finish_reason, "stop");
}

BOOST_AUTO_TEST_CASE(usage_only_final_chunk) {
    chat_accumulator acc;
    acc.add(chunk(R"({"id":"u","choices":[{"delta":{"content":"hi"},"finish_reason":"stop"}],"usage":null})"));
    BOOST_TEST(!acc.completion().usage.has_value());
    acc.add(chunk(R"({"id":"u","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,)"
                  R"("completion_tokens_details":{"reasoning_tokens":0}}})"));
    const chat_completion& c = acc.completion();
    BOOST_TEST(c.choices.size() == 1u);
    BOOST_TEST(c.text() == "hi");
    BOOST_TEST_REQUIRE(c.usage.has_value());
    CHECK_OPT(c.usage->total_tokens, 3);
    CHECK_OPT(c.usage->completion_tokens_details->reasoning_tokens, 0);
    // usage on every chunk: the last wins.
    acc.add(chunk(R"({"choices":null,"usage":{"total_tokens":4}})"));
    CHECK_OPT(acc.completion().usage->total_tokens, 4);
    BOOST_TEST(!acc.completion().usage->prompt_tokens.has_value());
}

BOOST_AUTO_TEST_CASE(top_level_members_first_wins) {
    chat_accumulator acc;
    acc.add(chunk(R"({"id":"","choices":[],"provider":"A"})"));
    acc.add(chunk(R"({"id":"first","created":5,"model":"m1","system_fingerprint":"fp1","choices":[],)"
                  R"("provider":"B","cost":1})"));
    acc.add(chunk(R"({"id":"second","created":6,"model":"m2","system_fingerprint":"fp2","choices":[],"cost":2})"));
    const chat_completion& c = acc.completion();
    BOOST_TEST(c.id == "first");
    BOOST_TEST(c.object == "chat.completion");
    CHECK_OPT(c.created, 5);
    BOOST_TEST(c.model == "m1");
    CHECK_OPT(c.system_fingerprint, "fp1");
    BOOST_TEST(c.extra == json::parse(R"({"provider":"A","cost":1})").as_object());
}

BOOST_AUTO_TEST_CASE(logprobs_joined) {
    chat_accumulator acc;
    acc.add(chunk(R"({"choices":[{"delta":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":-1}]}}]})"));
    acc.add(chunk(R"({"choices":[{"delta":{"content":"b"},"logprobs":null}]})"));
    acc.add(chunk(R"({"choices":[{"delta":{"content":"c"},"logprobs":{"content":[{"token":"c","logprob":-2}],)"
                  R"("refusal":null}}]})"));
    BOOST_TEST(acc.completion().choices.at(0).logprobs ==
               json::parse(R"({"content":[{"token":"a","logprob":-1},{"token":"c","logprob":-2}],"refusal":null})"));
}

BOOST_AUTO_TEST_CASE(partial_completion_mid_way) {
    chat_accumulator acc;
    BOOST_TEST(acc.completion().choices.empty());
    acc.add(chunk(R"({"id":"p","choices":[{"delta":{"role":"assistant","content":"Hel"}}]})"));
    BOOST_TEST(acc.completion().text() == "Hel");
    BOOST_TEST(!acc.completion().choices[0].finish_reason.has_value());
    acc.add(chunk(R"({"id":"p","choices":[{"delta":{"content":"lo"}}]})"));
    BOOST_TEST(acc.completion().text() == "Hello");
    BOOST_TEST(acc.completion().id == "p");
}

BOOST_AUTO_TEST_CASE(take_resets) {
    chat_accumulator acc;
    acc.add(chunk(R"({"id":"one","model":"m","provider":"x","choices":[{"delta":{"role":"user","content":"1",)"
                  R"("tool_calls":[{"index":0,"id":"c","function":{"name":"f"}}]}}],"usage":{"total_tokens":1}})"));
    const chat_completion first = acc.take();
    BOOST_TEST(first.id == "one");
    BOOST_TEST(first.text() == "1");

    const chat_completion& empty = acc.completion();
    BOOST_TEST(empty.id.empty());
    BOOST_TEST(empty.object.empty());
    BOOST_TEST(empty.model.empty());
    BOOST_TEST(empty.choices.empty());
    BOOST_TEST(!empty.usage.has_value());
    BOOST_TEST(empty.extra.empty());

    acc.add(chunk(
        R"({"id":"two","choices":[{"delta":{"content":"2","tool_calls":[{"index":0,"function":{"name":"g"}}]}}]})"));
    const chat_completion second = acc.take();
    BOOST_TEST(second.id == "two");
    BOOST_TEST(second.model.empty());
    BOOST_TEST_REQUIRE(second.choices.size() == 1u);
    BOOST_TEST(second.choices[0].message.role == "assistant"); // role_seen was reset too
    BOOST_TEST(second.text() == "2");
    BOOST_TEST_REQUIRE(second.choices[0].message.tool_calls.size() == 1u);
    BOOST_TEST(second.choices[0].message.tool_calls[0].id.empty());
    BOOST_TEST(second.choices[0].message.tool_calls[0].function.name == "g");
}

BOOST_AUTO_TEST_SUITE_END()
