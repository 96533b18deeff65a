// The response side of the JSON mapping: chat_completion and model_list, as
// gateways send them, including the odd shapes of docs/wire.md.
#include <dgrid/detail/json/completion_reader.hpp>
#include <dgrid/detail/json/lone_surrogates.hpp>
#include <dgrid/detail/json/request_writer.hpp>
#include <dgrid/json.hpp>

#include "test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace json = boost::json;
using namespace dgrid;

namespace {

using dgrid::test::check_equal;

// The spec's example with every field filled in, plus extras at every level.
constexpr const char* full_response_json = R"({
  "id": "chatcmpl-123",
  "object": "chat.completion",
  "created": 1735689600,
  "model": "openai/gpt-4o",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": "The meaning of life is 42.",
        "reasoning_content": "Douglas Adams."
      },
      "finish_reason": "stop",
      "native_finish_reason": "STOP"
    },
    {
      "index": 1,
      "message": {
        "role": "assistant",
        "content": null,
        "tool_calls": [
          {"id": "call_a", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":\"life\"}"},
           "extra_content": {"google": {"thought_signature": "sig"}}},
          {"id": "call_b", "type": "function", "function": {"name": "noop", "arguments": ""}}
        ]
      },
      "finish_reason": "tool_calls",
      "logprobs": {"content": [{"token": "The", "logprob": -0.25, "bytes": [84, 104, 101], "top_logprobs": []}]}
    }
  ],
  "usage": {
    "prompt_tokens": 13,
    "completion_tokens": 7,
    "total_tokens": 20,
    "prompt_tokens_details": {"cached_tokens": 2, "text_tokens": 11, "audio_tokens": 0, "image_tokens": 0,
                              "video_tokens": 3},
    "completion_tokens_details": {"text_tokens": 5, "audio_tokens": 0, "reasoning_tokens": 2,
                                  "accepted_prediction_tokens": 1},
    "cost": 0.00042
  },
  "system_fingerprint": "fp_abc123",
  "provider": "OpenAI"
})";

chat_completion parse_ok(std::string_view text) {
    chat_completion c;
    diagnostics diag;
    const error_code ec = parse_json(text, c, diag);
    BOOST_TEST(!ec, ec.message() << ": " << diag.message);
    return c;
}

// to_json, then the text, then back.
void round_trip(const chat_completion& c) {
    const std::string text = json::serialize(to_json(c));
    chat_completion back;
    diagnostics diag;
    const error_code ec = parse_json(text, back, diag);
    BOOST_TEST(!ec, ec.message() << ": " << diag.message << " in " << text);
    check_equal(c, back);
}

void check_malformed(std::string_view text, std::string_view expected) {
    chat_completion c;
    diagnostics diag;
    const error_code ec = parse_json(text, c, diag);
    BOOST_TEST(ec == error_code(error::malformed_response), text << " gave " << ec.message());
    BOOST_TEST(diag.message == expected);
}

void check_invalid(std::string_view text) {
    chat_completion c;
    diagnostics diag;
    const error_code ec = parse_json(text, c, diag);
    BOOST_TEST(ec == error_code(error::invalid_json), ec.message());
    BOOST_TEST(diag.message.rfind("invalid JSON: ", 0) == 0u, diag.message);
    BOOST_TEST(diag.message.size() > 14u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_response)

BOOST_AUTO_TEST_CASE(full_response_fields) {
    const chat_completion c = parse_ok(full_response_json);
    BOOST_TEST(c.id == "chatcmpl-123");
    BOOST_TEST(c.object == "chat.completion");
    CHECK_OPT(c.created, 1735689600);
    BOOST_TEST(c.model == "openai/gpt-4o");
    BOOST_TEST(c.text() == "The meaning of life is 42.");
    BOOST_TEST_REQUIRE(c.choices.size() == 2u);

    const choice& first = c.choices[0];
    BOOST_TEST(first.index == 0);
    BOOST_TEST(first.message.role == "assistant");
    BOOST_TEST(std::get<std::string>(*first.message.content) == "The meaning of life is 42.");
    CHECK_OPT(first.message.reasoning_content, "Douglas Adams.");
    BOOST_TEST(first.message.tool_calls.empty());
    BOOST_TEST(!first.message.refusal.has_value());
    BOOST_TEST(first.message.extra.empty());
    CHECK_OPT(first.finish_reason, "stop");
    BOOST_TEST(first.logprobs.is_null());
    CHECK_JSON(first.extra, R"({"native_finish_reason":"STOP"})");

    const choice& second = c.choices[1];
    BOOST_TEST(second.index == 1);
    BOOST_TEST(!second.message.content.has_value());
    BOOST_TEST_REQUIRE(second.message.tool_calls.size() == 2u);
    BOOST_TEST(second.message.tool_calls[0].id == "call_a");
    CHECK_JSON(second.message.tool_calls[0].extra, R"({"extra_content":{"google":{"thought_signature":"sig"}}})");
    BOOST_TEST(second.message.tool_calls[0].type == "function");
    BOOST_TEST(second.message.tool_calls[0].function.name == "lookup");
    BOOST_TEST(second.message.tool_calls[0].function.arguments == R"({"q":"life"})");
    BOOST_TEST(second.message.tool_calls[1].function.arguments.empty());
    CHECK_OPT(second.finish_reason, "tool_calls");
    BOOST_TEST(second.logprobs.at("content").at(0).at("logprob").as_double() == -0.25);
    BOOST_TEST(second.extra.empty());

    BOOST_TEST_REQUIRE(c.usage.has_value());
    CHECK_OPT(c.usage->prompt_tokens, 13);
    CHECK_OPT(c.usage->completion_tokens, 7);
    CHECK_OPT(c.usage->total_tokens, 20);
    CHECK_JSON(c.usage->extra, R"({"cost":0.00042})");
    BOOST_TEST_REQUIRE(c.usage->prompt_tokens_details.has_value());
    CHECK_OPT(c.usage->prompt_tokens_details->cached_tokens, 2);
    CHECK_OPT(c.usage->prompt_tokens_details->text_tokens, 11);
    CHECK_OPT(c.usage->prompt_tokens_details->audio_tokens, 0);
    CHECK_OPT(c.usage->prompt_tokens_details->image_tokens, 0);
    CHECK_JSON(c.usage->prompt_tokens_details->extra, R"({"video_tokens":3})");
    BOOST_TEST_REQUIRE(c.usage->completion_tokens_details.has_value());
    CHECK_OPT(c.usage->completion_tokens_details->text_tokens, 5);
    CHECK_OPT(c.usage->completion_tokens_details->audio_tokens, 0);
    CHECK_OPT(c.usage->completion_tokens_details->reasoning_tokens, 2);
    CHECK_JSON(c.usage->completion_tokens_details->extra, R"({"accepted_prediction_tokens":1})");
    CHECK_OPT(c.system_fingerprint, "fp_abc123");
    CHECK_JSON(c.extra, R"({"provider":"OpenAI"})");
}

BOOST_AUTO_TEST_CASE(boost_json_conversions_and_equality) {
    const chat_completion c = parse_ok(full_response_json);
    const json::value v = json::value_from(c);
    BOOST_TEST(v == to_json(c));
    BOOST_TEST((json::value_to<chat_completion>(v) == c));
    chat_completion other = c;
    other.choices.at(1).message.tool_calls.at(0).function.arguments = "{}";
    BOOST_TEST(!(other == c));
    BOOST_CHECK_EXCEPTION(json::value_to<chat_completion>(json::parse(R"({"choices":7})")), error_with_diagnostics,
                          [](const error_with_diagnostics& e) {
                              return e.code() == error::malformed_response &&
                                     e.get_diagnostics().message == "choices: expected array";
                          });
}

BOOST_AUTO_TEST_CASE(full_response_wire_form_and_round_trip) {
    const chat_completion c = parse_ok(full_response_json);
    // Everything received is written back: the wire form is the input.
    CHECK_JSON(to_json(c), full_response_json);
    round_trip(c);
}

BOOST_AUTO_TEST_CASE(built_response_wire_form) {
    chat_completion c;
    c.id = "x";
    c.object = "chat.completion";
    c.model = "m";
    choice ch;
    ch.index = 3;
    ch.message = message::assistant("hi");
    c.choices.push_back(ch);
    c.usage.emplace().total_tokens = 5;
    // Absent optionals and null logprobs are left out.
    CHECK_JSON(to_json(c), R"({"id":"x","object":"chat.completion","model":"m",
        "choices":[{"index":3,"message":{"role":"assistant","content":"hi"}}],"usage":{"total_tokens":5}})");
    round_trip(c);

    c.choices.clear();
    c.usage.reset();
    CHECK_JSON(to_json(c), R"({"id":"x","object":"chat.completion","model":"m","choices":[]})");
    round_trip(c);
}

// A batch writes its answers as text without a tree: the same bytes.
BOOST_AUTO_TEST_CASE(completion_text_is_what_to_json_serializes) {
    const auto check = [](const chat_completion& c) {
        std::string text = "prefix ";
        detail::append_completion_json(text, c);
        BOOST_TEST(text == "prefix " + json::serialize(to_json(c)));
    };
    check(parse_ok(full_response_json));
    check(chat_completion());
    chat_completion c = parse_ok(R"({"id":"x","choices":[{"index":0,"message":{"role":"assistant",
        "content":[{"type":"text","text":"a\u0001\"b\u2028"},{"type":"image_url","image_url":{"url":"data:x"}}],
        "refusal":"no","annotations":[]},"finish_reason":null,"logprobs":null}],
        "usage":{"prompt_tokens":1,"cost":1e-7,"total_tokens":-3},"created":0,"model":"caf\u00e9"})");
    check(c);
    c.extra["id"] = "replaced in place";
    c.choices.at(0).extra["index"] = 9.5;
    check(c);
}

BOOST_AUTO_TEST_CASE(nulls_everywhere_are_empty) {
    const chat_completion c = parse_ok(R"({"id":null,"object":null,"created":null,"model":null,
        "choices":[{"index":null,"message":{"role":null,"content":null,"name":null,"tool_calls":null,
            "tool_call_id":null,"reasoning_content":null,"reasoning":null},"finish_reason":null,"logprobs":null}],
        "usage":{"prompt_tokens":null,"completion_tokens":null,"total_tokens":null,
            "prompt_tokens_details":null,"completion_tokens_details":null},
        "system_fingerprint":null})");
    BOOST_TEST(c.id.empty());
    BOOST_TEST(c.object.empty());
    BOOST_TEST(!c.created.has_value());
    BOOST_TEST(c.model.empty());
    BOOST_TEST_REQUIRE(c.choices.size() == 1u);
    const choice& ch = c.choices[0];
    BOOST_TEST(ch.index == 0);
    BOOST_TEST(ch.message.role.empty());
    BOOST_TEST(!ch.message.content.has_value());
    BOOST_TEST(!ch.message.name.has_value());
    BOOST_TEST(ch.message.tool_calls.empty());
    BOOST_TEST(!ch.message.tool_call_id.has_value());
    BOOST_TEST(!ch.message.reasoning_content.has_value());
    BOOST_TEST(ch.message.extra.empty());
    BOOST_TEST(!ch.finish_reason.has_value());
    BOOST_TEST(ch.logprobs.is_null());
    BOOST_TEST(ch.extra.empty());
    BOOST_TEST_REQUIRE(c.usage.has_value());
    BOOST_TEST(!c.usage->prompt_tokens.has_value());
    BOOST_TEST(!c.usage->completion_tokens.has_value());
    BOOST_TEST(!c.usage->total_tokens.has_value());
    BOOST_TEST(!c.usage->prompt_tokens_details.has_value());
    BOOST_TEST(!c.usage->completion_tokens_details.has_value());
    BOOST_TEST(!c.system_fingerprint.has_value());
    BOOST_TEST(c.extra.empty());

    // Null objects are empty objects, null usage is no usage.
    const chat_completion d = parse_ok(R"({"choices":[null,{"message":null}],"usage":null})");
    BOOST_TEST(d.choices.size() == 2u);
    BOOST_TEST(d.choices[1].message.role.empty());
    BOOST_TEST(!d.usage.has_value());
}

BOOST_AUTO_TEST_CASE(absent_fields_are_empty) {
    chat_completion c = parse_ok("{}");
    BOOST_TEST(c.id.empty());
    BOOST_TEST(!c.created.has_value());
    BOOST_TEST(c.choices.empty());
    BOOST_TEST(!c.usage.has_value());
    BOOST_TEST(!c.system_fingerprint.has_value());
    BOOST_TEST(c.extra.empty());
    BOOST_TEST(c.text().empty());

    c = parse_ok(R"({"choices":null,"usage":{"total_tokens":9}})"); // docs/wire.md, "Choices null or missing"
    BOOST_TEST(c.choices.empty());
    CHECK_OPT(c.usage->total_tokens, 9);
    BOOST_TEST(!c.usage->prompt_tokens.has_value());
    BOOST_TEST(!c.usage->prompt_tokens_details.has_value());

    c = parse_ok(R"({"choices":[{"message":{"tool_calls":[{"id":"c1","function":{"name":"f"}}]}}]})");
    const tool_call& call = c.choices.at(0).message.tool_calls.at(0);
    BOOST_TEST(call.type == "function");
    BOOST_TEST(call.function.name == "f");
    BOOST_TEST(call.function.arguments.empty());
    BOOST_TEST(!c.choices[0].finish_reason.has_value());
}

BOOST_AUTO_TEST_CASE(reasoning_alias) {
    chat_completion c = parse_ok(R"({"choices":[{"message":{"role":"assistant","reasoning":"hmm"}}]})");
    message m = c.choices.at(0).message;
    CHECK_OPT(m.reasoning_content, "hmm");
    BOOST_TEST(m.extra.empty());
    CHECK_JSON(to_json(m), R"({"role":"assistant","reasoning_content":"hmm"})");

    // reasoning_content wins, in either order; the other is kept.
    for (const char* text : {R"({"choices":[{"message":{"reasoning":"b","reasoning_content":"a"}}]})",
                             R"({"choices":[{"message":{"reasoning_content":"a","reasoning":"b"}}]})"}) {
        c = parse_ok(text);
        m = c.choices.at(0).message;
        CHECK_OPT(m.reasoning_content, "a");
        CHECK_JSON(m.extra, R"({"reasoning":"b"})");
    }

    c = parse_ok(R"({"choices":[{"message":{"reasoning":null}}]})");
    BOOST_TEST(!c.choices.at(0).message.reasoning_content.has_value());
    BOOST_TEST(c.choices.at(0).message.extra.empty());

    // Not a string: not the alias, kept as an unknown member.
    c = parse_ok(R"({"choices":[{"message":{"reasoning":{"summary":"s"}}}]})");
    BOOST_TEST(!c.choices.at(0).message.reasoning_content.has_value());
    CHECK_JSON(c.choices.at(0).message.extra, R"({"reasoning":{"summary":"s"}})");
}

BOOST_AUTO_TEST_CASE(integers) {
    chat_completion c = parse_ok(R"({"created":1.7e9,"choices":[{"index":2.0}],
        "usage":{"prompt_tokens":12.0,"completion_tokens":-3,"total_tokens":9223372036854775807}})");
    CHECK_OPT(c.created, 1700000000);
    BOOST_TEST(c.choices.at(0).index == 2);
    CHECK_OPT(c.usage->prompt_tokens, 12);
    CHECK_OPT(c.usage->completion_tokens, -3);
    CHECK_OPT(c.usage->total_tokens, 9223372036854775807);

    check_malformed(R"({"usage":{"prompt_tokens":12.5}})", "usage.prompt_tokens: expected integer");
    check_malformed(R"({"usage":{"prompt_tokens":"12"}})", "usage.prompt_tokens: expected integer");
    check_malformed(R"({"usage":{"prompt_tokens":[12]}})", "usage.prompt_tokens: expected integer");
    check_malformed(R"({"usage":{"total_tokens":9223372036854775808}})",
                    "usage.total_tokens: expected integer in range");
    check_malformed(R"({"created":1e30})", "created: expected integer in range");
    check_malformed(R"({"created":-1e30})", "created: expected integer in range");
    check_malformed(R"({"choices":[{"index":"0"}]})", "choices[0].index: expected integer");
}

BOOST_AUTO_TEST_CASE(wrong_types_name_their_path) {
    check_malformed(R"([1,2])", "top level: expected object");
    check_malformed(R"(42)", "top level: expected object");
    check_malformed(R"({"id":7})", "id: expected string");
    check_malformed(R"({"object":false})", "object: expected string");
    check_malformed(R"({"model":{}})", "model: expected string");
    check_malformed(R"({"system_fingerprint":1})", "system_fingerprint: expected string");
    check_malformed(R"({"choices":{}})", "choices: expected array");
    check_malformed(R"({"choices":["x"]})", "choices[0]: expected object");
    check_malformed(R"({"choices":[{"message":[]}]})", "choices[0].message: expected object");
    check_malformed(R"({"choices":[{"message":{"content":5}}]})",
                    "choices[0].message.content: expected string or array");
    check_malformed(R"({"choices":[{"finish_reason":1}]})", "choices[0].finish_reason: expected string");
    check_malformed(R"({"choices":[{},{"message":{"tool_calls":[{"function":{"arguments":{"a":1}}}]}}]})",
                    "choices[1].message.tool_calls[0].function.arguments: expected string");
    check_malformed(R"({"choices":[{},{"message":{"tool_calls":[{},{"id":1}]}}]})",
                    "choices[1].message.tool_calls[1].id: expected string");
    check_malformed(R"({"choices":[{"message":{"tool_calls":{}}}]})", "choices[0].message.tool_calls: expected array");
    check_malformed(R"({"choices":[{"message":{"tool_calls":[{"function":"f"}]}}]})",
                    "choices[0].message.tool_calls[0].function: expected object");
    check_malformed(R"({"choices":[{"message":{"reasoning_content":true}}]})",
                    "choices[0].message.reasoning_content: expected string");
    check_malformed(R"({"usage":[]})", "usage: expected object");
    check_malformed(R"({"usage":{"prompt_tokens_details":{"cached_tokens":"2"}}})",
                    "usage.prompt_tokens_details.cached_tokens: expected integer");
    check_malformed(R"({"usage":{"completion_tokens_details":{"reasoning_tokens":{}}}})",
                    "usage.completion_tokens_details.reasoning_tokens: expected integer");
    check_malformed(R"({"usage":{"completion_tokens_details":7}})", "usage.completion_tokens_details: expected object");
}

BOOST_AUTO_TEST_CASE(wrong_type_leaves_other_diagnostics_alone) {
    chat_completion c;
    diagnostics diag;
    diag.http_status = 200;
    diag.request_id = "req-1";
    BOOST_TEST(parse_json(R"({"id":1})", c, diag) == error_code(error::malformed_response));
    BOOST_TEST(diag.http_status == 200u);
    BOOST_TEST(diag.request_id == "req-1");
    BOOST_TEST(diag.message == "id: expected string");
}

BOOST_AUTO_TEST_CASE(invalid_json) {
    check_invalid("");
    check_invalid("   ");
    check_invalid(R"({"id":"chatcmpl-1","choices":[{"index":0,)");
    check_invalid(R"({"id":"abc)");
    check_invalid("<html><body>502 Bad Gateway</body></html>");
    check_invalid("garbage");
    check_invalid("{} {}");
    check_invalid(R"({"a":1,})");
    check_invalid("{\"a\":\"\xff\xfe\"}"); // not UTF-8
    check_invalid(std::string_view("{\"a\":1}\0", 8));
    check_invalid("data: {\"id\":1}"); // an SSE line is not a body
}

BOOST_AUTO_TEST_CASE(hostile_input) {
    // 10000 nested arrays: a clean error, no stack overflow.
    const std::string deep = std::string(10000, '[') + std::string(10000, ']');
    check_invalid(deep);
    check_invalid(R"({"provider":)" + deep + "}");
    check_invalid(std::string(10000, '[')); // and unterminated

    // Nesting a real response might have is fine, and is kept.
    const std::string nested = std::string(40, '[') + "1" + std::string(40, ']');
    chat_completion c = parse_ok(R"({"provider":)" + nested + "}");
    BOOST_TEST(json::serialize(c.extra.at("provider")) == nested);

    // Huge strings are fine (an image data URI can be megabytes).
    const std::string big(8 << 20, 'A');
    c = parse_ok(R"({"choices":[{"message":{"content":")" + big + R"("}}],"x":")" + big + R"("})");
    BOOST_TEST(c.text().size() == big.size());
    BOOST_TEST(c.extra.at("x").as_string().size() == big.size());

    // Many members and long keys.
    std::string wide = "{";
    for (int i = 0; i < 20000; ++i)
        wide += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    wide += "\"id\":\"" + std::string(100000, 'k') + "\"}";
    c = parse_ok(wide);
    BOOST_TEST(c.extra.size() == 20000u);
    BOOST_TEST(c.id.size() == 100000u);
}

BOOST_AUTO_TEST_CASE(extras_outlive_the_parse) {
    // parse_json parses into an arena it frees on return; what it keeps must
    // have been copied out (ASan finds it otherwise).
    chat_completion c = parse_ok(R"({"provider":{"name":"p","list":[1,"two",{"three":3}]},
        "choices":[{"logprobs":{"content":[{"token":"a"}]},"message":{"annotations":[{"url":"u"}]}}],
        "usage":{"cost":{"usd":1.5}}})");
    const chat_completion copy = c;
    c = chat_completion{};
    CHECK_JSON(copy.extra, R"({"provider":{"name":"p","list":[1,"two",{"three":3}]}})");
    CHECK_JSON(copy.choices.at(0).logprobs, R"({"content":[{"token":"a"}]})");
    CHECK_JSON(copy.choices.at(0).message.extra, R"({"annotations":[{"url":"u"}]})");
    CHECK_JSON(copy.usage->extra, R"({"cost":{"usd":1.5}})");
    BOOST_TEST(copy.extra.storage().get() == json::storage_ptr().get());
    BOOST_TEST(copy.choices.at(0).logprobs.storage().get() == json::storage_ptr().get());
}

BOOST_AUTO_TEST_CASE(logprobs_only_when_not_null) {
    chat_completion c = parse_ok(R"({"choices":[{"index":0,"logprobs":null},{"index":1,"logprobs":[]}]})");
    const json::value v = to_json(c);
    BOOST_TEST(!v.at("choices").at(0).as_object().contains("logprobs"));
    BOOST_TEST(v.at("choices").at(1).at("logprobs") == json::array());
}

BOOST_AUTO_TEST_CASE(model_list_dgrid_shape) {
    const char* text = R"({"object":"list","success":true,"data":[
        {"id":"openai/gpt-4o","object":"model","created":1715367049,"owned_by":"openai",
         "supported_endpoint_types":["openai","anthropic"],"pricing":{"in":1}},
        {"id":"dgridai/free","object":"model","created":null,"owned_by":"dgrid","supported_endpoint_types":null}]})";
    model_list l;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!parse_json(text, l, diag));
    CHECK_JSON(l.extra, R"({"object":"list","success":true})");
    BOOST_TEST_REQUIRE(l.data.size() == 2u);
    BOOST_TEST(l.data[0].id == "openai/gpt-4o");
    BOOST_TEST(l.data[0].object == "model");
    CHECK_OPT(l.data[0].created, 1715367049);
    BOOST_TEST(l.data[0].owned_by == "openai");
    BOOST_TEST((l.data[0].supported_endpoint_types == std::vector<std::string>{"openai", "anthropic"}));
    CHECK_JSON(l.data[0].extra, R"({"pricing":{"in":1}})");
    BOOST_TEST(!l.data[1].created.has_value());
    BOOST_TEST(l.data[1].supported_endpoint_types.empty());

    CHECK_JSON(to_json(l), R"({"object":"list","success":true,"data":[
        {"id":"openai/gpt-4o","object":"model","created":1715367049,"owned_by":"openai",
         "supported_endpoint_types":["openai","anthropic"],"pricing":{"in":1}},
        {"id":"dgridai/free","object":"model","owned_by":"dgrid"}]})");

    model_list back;
    BOOST_TEST_REQUIRE(!parse_json(json::serialize(to_json(l)), back, diag));
    BOOST_TEST_REQUIRE(back.data.size() == 2u);
    BOOST_TEST(back.data[0].id == l.data[0].id);
    BOOST_TEST((back.data[0].created == l.data[0].created));
    BOOST_TEST((back.data[0].supported_endpoint_types == l.data[0].supported_endpoint_types));
    BOOST_TEST(back.data[0].extra == l.data[0].extra);
    BOOST_TEST(back.extra == l.extra);

    model_list bad;
    BOOST_TEST(parse_json(R"({"data":[{"supported_endpoint_types":["a",1]}]})", bad, diag) ==
               error_code(error::malformed_response));
    BOOST_TEST(diag.message == "data[0].supported_endpoint_types[1]: expected string");
    BOOST_TEST(parse_json(R"({"data":{}})", bad, diag) == error_code(error::malformed_response));
    BOOST_TEST(diag.message == "data: expected array");
    BOOST_TEST(parse_json("[]", bad, diag) == error_code(error::malformed_response));
    BOOST_TEST(diag.message == "top level: expected object");
}

// parse_json reads the usual completions without a tree (completion_reader),
// and must read everything exactly as from_json reads the parsed tree: the
// same result, the same error and message, members in the same order.
BOOST_AUTO_TEST_CASE(completion_reader_reads_as_the_tree_does) {
    struct body {
        std::string text;
        bool read_without_tree;
    };
    const std::string escaped = "\"a\\n\\u00e9\\uD83D\\uDE00\\\"\\/\\\\\"";
    std::vector<body> bodies = {
        {full_response_json, true},
        {R"({"id":"chatcmpl-1","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini",)"
         R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hello!","refusal":null,)"
         R"("annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,)"
         R"("completion_tokens":24,"total_tokens":43,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},)"
         R"("completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0}},)"
         R"("service_tier":"default","system_fingerprint":"fp_1"})",
         true},
        // Tool calls: null type and function keep their defaults, unknown members are dropped.
        {R"({"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"c1",)"
         R"("type":null,"function":null,"x":{"y":[1,{"z":null}]}},{"function":{"name":"g","arguments":"{}",)"
         R"("w":[true]},"type":"function"}]},"finish_reason":"tool_calls"}]})",
         true},
        // Extras of every type, at every level that has them.
        {R"({"n":null,"t":true,"f":false,"i":-5,"u":18446744073709551615,"d":1.5e3,"z":-0,"big":1e400,)"
         R"("long":123456789012345678901234,"s":)" +
             escaped +
             R"(,"a":[1,"two",{"3":[]}],"o":{"k":{}},)"
             "\"e\":[ \n],\"eo\":{ },"
             R"("choices":[{"message":{"m":[],"refusal":"no"},"c":0.5,"logprobs":[{"token":"a","bytes":[97]}]}],)"
             R"("usage":{"cost":{"usd":1.5},"prompt_tokens_details":{"video":1},"completion_tokens_details":{"x":[]}}})",
         true},
        // Nulls everywhere, absent members, an empty object.
        {R"({"id":null,"object":null,"created":null,"model":null,"choices":null,"usage":null,)"
         R"("system_fingerprint":null})",
         true},
        {R"({"choices":[{"index":null,"message":null,"finish_reason":null,"logprobs":null},{}],)"
         R"("usage":{"prompt_tokens":null,"prompt_tokens_details":null,"completion_tokens_details":null}})",
         true},
        {"{}", true},
        // Escapes in keys, an extra key with escapes whose value has escapes too.
        {R"({"\u0069d":"x","k\u00e9y":)" + escaped + R"(,"choices":[{"message":{"content":)" + escaped + "}}]}", true},
        {" \t\r\n{ \"id\" : \"a\" , \"choices\" : [ { \"index\" : 1 , \"message\" : { \"content\" : \"x\" } } ] } \n",
         true},
        {R"({"created":-9223372036854775808,"choices":[{"index":9223372036854775807}]})", true},
        // What only the tree reads.
        {R"({"choices":[{"message":{"content":[{"type":"text","text":"a"}]}}]})", false},
        {R"({"choices":[{"message":{"reasoning":"r"}}]})", false},
        {R"({"choices":[{"message":{"reasoning_content":"a","reasoning":"r"}}]})", false},
        {R"({"choices":[null]})", false},
        {R"({"choices":[{"message":{"tool_calls":[null]}}]})", false},
        {R"({"created":12.0})", false},
        {R"({"created":9223372036854775808})", false},
        {R"({"id":"a","id":"b"})", false},
        {R"({"x":1,"x":2})", false},
        {R"({"choices":[{"message":{"m":1,"m":2}}]})", false},
        // Errors: the tree's, with its messages.
        {R"({"id":1})", false},
        {R"({"choices":{}})", false},
        {R"({"choices":[{"message":{"content":7}}]})", false},
        {R"({"usage":{"total_tokens":1.5}})", false},
        {R"({"usage":{"prompt_tokens_details":[]}})", false},
        {R"({"id":"x"} x)", false},
        {"[]", false},
        {"", false},
        {"{\"id\":\"\xC3\x28\"}", false},
        {R"({"id":"\ud800"})", true}, // a lone surrogate is U+FFFD
        {R"({"id":"a)", false},
        {R"({"a":[1,]})", false},
    };
    // Nesting around the tree parser's limit (`depth` levels in all, the
    // innermost array's), kept in `extra` or skipped.
    const auto arrays = [](std::size_t n) { return std::string(n, '[') + std::string(n, ']'); };
    for (std::size_t depth : {62u, 63u, 64u, 65u}) {
        bodies.push_back({R"({"p":)" + arrays(depth - 1) + "}", depth < detail::max_json_depth});
        bodies.push_back({R"({"choices":[{"message":{"tool_calls":[{"x":)" + arrays(depth - 6) + "}]}}]}",
                          depth < detail::max_json_depth});
    }
    for (const body& b : bodies) {
        BOOST_TEST_CONTEXT(b.text) {
            chat_completion direct;
            BOOST_TEST(detail::completion_reader().read(b.text, direct) == b.read_without_tree);

            chat_completion parsed;
            diagnostics parsed_diag;
            const error_code parsed_ec = parse_json(b.text, parsed, parsed_diag);
            chat_completion tree;
            diagnostics tree_diag;
            error_code json_ec;
            const json::value v = detail::parse_json_tree(b.text, {}, detail::lone_surrogate_rule::replace, json_ec);
            const error_code tree_ec = json_ec ? error_code(error::invalid_json) : from_json(v, tree, tree_diag);
            BOOST_TEST(parsed_ec == tree_ec);
            if (!json_ec)
                BOOST_TEST(parsed_diag.message == tree_diag.message);
            if (tree_ec)
                continue;
            check_equal(parsed, tree);
            BOOST_TEST(json::serialize(to_json(parsed)) == json::serialize(to_json(tree)));
            if (b.read_without_tree)
                BOOST_TEST(json::serialize(to_json(direct)) == json::serialize(to_json(tree)));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
