// The request side of the JSON mapping: chat_request and message, to the wire
// and back.
#include <dgrid/detail/json/request_writer.hpp>
#include <dgrid/json.hpp>

#include "test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace json = boost::json;
using namespace dgrid;

namespace {

using dgrid::test::check_equal;

void check_equal(const chat_request& a, const chat_request& b) {
    BOOST_TEST((a == b), "got " << json::serialize(to_json(a)) << "\nwant " << json::serialize(to_json(b)));
}

// to_json, then the text, then back: what was sent is what is read.
chat_request round_trip(const chat_request& r) {
    const std::string text = json::serialize(to_json(r));
    chat_request back;
    diagnostics diag;
    const error_code ec = parse_json(text, back, diag);
    BOOST_TEST(!ec, ec.message() << ": " << diag.message << " in " << text);
    check_equal(r, back);
    return back;
}

// Expects parse_json to fail with malformed_response and exactly this message.
void check_malformed(std::string_view text, std::string_view expected) {
    chat_request r;
    diagnostics diag;
    const error_code ec = parse_json(text, r, diag);
    BOOST_TEST(ec == error_code(error::malformed_response), text << " gave " << ec.message());
    BOOST_TEST(diag.message == expected);
}

chat_request full_request() {
    chat_request r;
    r.model = "openai/gpt-4o";
    r.messages.push_back(message::system("be brief"));
    r.messages.push_back(message::user({text_part{"what is this?"}, image_url_part{"https://x.test/cat.png", "high"},
                                        image_url_part{"data:image/png;base64,AAAA", std::nullopt}}));
    message call;
    call.role = "assistant";
    call.tool_calls.push_back({"call_1", "function", {"get_weather", R"({"city":"Oslo"})"}, {}});
    // Gemini's thought signature, which must go back with the call.
    call.tool_calls.back().extra["extra_content"] = json::object{{"google", {{"thought_signature", "sig"}}}};
    r.messages.push_back(call);
    r.messages.push_back(message::tool("call_1", "rain"));
    message named = message::user("hi");
    named.name = "alice";
    r.messages.push_back(named);
    r.temperature = 0.25;
    r.top_p = 0.5;
    r.n = 2;
    r.stream = false;
    r.max_tokens = 100;
    r.max_completion_tokens = 90;
    r.presence_penalty = -0.5;
    r.frequency_penalty = 1.5;
    r.logit_bias = {{50256, -100}, {7, 5}};
    r.stop = std::vector<std::string>{"\n\n", "END"};
    tool t;
    t.name = "get_weather";
    t.description = "Weather by city";
    t.parameters =
        json::parse(R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})").as_object();
    t.strict = true;
    r.tools.push_back(t);
    tool bare;
    bare.name = "now";
    r.tools.push_back(bare);
    r.tool_choice = tool_choice::function("get_weather");
    r.response_format = json::object{{"type", "json_object"}};
    r.seed = 42;
    r.user = "user-7";
    r.extra["stream_options"] = json::object{{"include_usage", true}};
    return r;
}

constexpr const char* full_request_json = R"({
  "model": "openai/gpt-4o",
  "messages": [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": [
      {"type": "text", "text": "what is this?"},
      {"type": "image_url", "image_url": {"url": "https://x.test/cat.png", "detail": "high"}},
      {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
    {"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"},
       "extra_content": {"google": {"thought_signature": "sig"}}}]},
    {"role": "tool", "content": "rain", "tool_call_id": "call_1"},
    {"role": "user", "content": "hi", "name": "alice"}
  ],
  "temperature": 0.25,
  "top_p": 0.5,
  "n": 2,
  "stream": false,
  "max_tokens": 100,
  "max_completion_tokens": 90,
  "presence_penalty": -0.5,
  "frequency_penalty": 1.5,
  "logit_bias": {"7": 5, "50256": -100},
  "stop": ["\n\n", "END"],
  "tools": [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather by city",
      "parameters": {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}, "strict": true}},
    {"type": "function", "function": {"name": "now"}}
  ],
  "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
  "response_format": {"type": "json_object"},
  "seed": 42,
  "user": "user-7",
  "stream_options": {"include_usage": true}
})";

} // namespace

BOOST_AUTO_TEST_SUITE(json_request)

BOOST_AUTO_TEST_CASE(full_request_wire_form) { CHECK_JSON(to_json(full_request()), full_request_json); }

BOOST_AUTO_TEST_CASE(full_request_round_trip) {
    const chat_request back = round_trip(full_request());
    // A few values spelled out, so that a symmetric bug cannot hide.
    BOOST_TEST(back.messages.size() == 5u);
    CHECK_OPT(back.temperature, 0.25);
    CHECK_OPT(back.n, 2);
    BOOST_TEST(back.logit_bias.at(50256) == -100);
    BOOST_TEST(!back.messages[2].content.has_value());
    BOOST_TEST(back.messages[2].tool_calls.at(0).function.arguments == R"({"city":"Oslo"})");
    BOOST_TEST(back.extra.at("stream_options").at("include_usage").as_bool());
}

BOOST_AUTO_TEST_CASE(parse_hand_written_request) {
    chat_request r;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!parse_json(full_request_json, r, diag));
    check_equal(r, full_request());
    BOOST_TEST(diag.message.empty());
}

BOOST_AUTO_TEST_CASE(minimal_request_sends_only_model_and_messages) {
    chat_request r;
    r.model = "dgridai/free";
    r.messages.push_back(message::user("hello"));
    CHECK_JSON(to_json(r), R"({"model":"dgridai/free","messages":[{"role":"user","content":"hello"}]})");
    const chat_request back = round_trip(r);
    BOOST_TEST(!back.temperature.has_value());
    BOOST_TEST(!back.stream.has_value());
    BOOST_TEST(!back.tool_choice.has_value());
    BOOST_TEST(back.tools.empty());
    BOOST_TEST(back.extra.empty());
}

BOOST_AUTO_TEST_CASE(nulls_are_absent_not_zero) {
    chat_request r;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!parse_json(R"({"model":null,"messages":null,"temperature":null,"top_p":null,"n":null,
        "stream":null,"max_tokens":null,"max_completion_tokens":null,"presence_penalty":null,
        "frequency_penalty":null,"logit_bias":null,"stop":null,"tools":null,"tool_choice":null,
        "response_format":null,"seed":null,"user":null})",
                                   r, diag));
    BOOST_TEST(r.model.empty());
    BOOST_TEST(r.messages.empty());
    BOOST_TEST(!r.temperature.has_value());
    BOOST_TEST(!r.top_p.has_value());
    BOOST_TEST(!r.n.has_value());
    BOOST_TEST(!r.stream.has_value());
    BOOST_TEST(!r.max_tokens.has_value());
    BOOST_TEST(!r.max_completion_tokens.has_value());
    BOOST_TEST(!r.presence_penalty.has_value());
    BOOST_TEST(!r.frequency_penalty.has_value());
    BOOST_TEST(r.logit_bias.empty());
    BOOST_TEST(!r.stop.has_value());
    BOOST_TEST(r.tools.empty());
    BOOST_TEST(!r.tool_choice.has_value());
    BOOST_TEST(!r.response_format.has_value());
    BOOST_TEST(!r.seed.has_value());
    BOOST_TEST(!r.user.has_value());
    BOOST_TEST(r.extra.empty());
}

BOOST_AUTO_TEST_CASE(zeros_are_sent) {
    chat_request r;
    r.model = "m";
    r.temperature = 0.0;
    r.n = 0;
    r.stream = false;
    r.seed = 0;
    CHECK_JSON(to_json(r), R"({"model":"m","messages":[],"temperature":0.0,"n":0,"stream":false,"seed":0})");
    const chat_request back = round_trip(r);
    CHECK_OPT(back.temperature, 0.0);
    CHECK_OPT(back.n, 0);
    CHECK_OPT(back.stream, false);
}

BOOST_AUTO_TEST_CASE(stop_string_or_array) {
    chat_request r;
    r.model = "m";
    r.stop = std::string("END");
    CHECK_JSON(to_json(r), R"({"model":"m","messages":[],"stop":"END"})");
    chat_request back = round_trip(r);
    BOOST_TEST(std::get<std::string>(*back.stop) == "END");

    r.stop = std::vector<std::string>{"a"};
    CHECK_JSON(to_json(r), R"({"model":"m","messages":[],"stop":["a"]})");
    back = round_trip(r);
    BOOST_TEST(std::get<std::vector<std::string>>(*back.stop).at(0) == "a");

    check_malformed(R"({"stop":5})", "stop: expected string or array");
    check_malformed(R"({"stop":["a",7]})", "stop[1]: expected string");
}

BOOST_AUTO_TEST_CASE(tool_choice_string_or_object) {
    chat_request r;
    r.model = "m";
    for (const char* mode : {"auto", "none", "required"}) {
        r.tool_choice = dgrid::tool_choice{mode, std::nullopt};
        CHECK_JSON(to_json(r).at("tool_choice"), std::string("\"") + mode + "\"");
        const chat_request back = round_trip(r);
        BOOST_TEST(back.tool_choice->mode == mode);
        BOOST_TEST(!back.tool_choice->function_name.has_value());
    }
    r.tool_choice = tool_choice::function("f");
    CHECK_JSON(to_json(r).at("tool_choice"), R"({"type":"function","function":{"name":"f"}})");
    const chat_request back = round_trip(r);
    BOOST_TEST(back.tool_choice->mode == "function");
    CHECK_OPT(back.tool_choice->function_name, "f");

    // function_name wins over the mode.
    r.tool_choice = dgrid::tool_choice{"none", "g"};
    CHECK_JSON(to_json(r).at("tool_choice"), R"({"type":"function","function":{"name":"g"}})");

    check_malformed(R"({"tool_choice":5})", "tool_choice: expected string or object");
    check_malformed(R"({"tool_choice":{"type":"function","function":{"name":1}}})",
                    "tool_choice.function.name: expected string");
}

BOOST_AUTO_TEST_CASE(content_string_parts_or_null) {
    message m = message::user("plain");
    CHECK_JSON(to_json(m), R"({"role":"user","content":"plain"})");

    m = message::user(std::vector<content_part>{text_part{"a"}, image_url_part{"https://i", "low"}});
    CHECK_JSON(to_json(m), R"({"role":"user","content":[{"type":"text","text":"a"},
        {"type":"image_url","image_url":{"url":"https://i","detail":"low"}}]})");
    BOOST_TEST(m.text() == "a");

    m = message::user(std::vector<content_part>{});
    CHECK_JSON(to_json(m), R"({"role":"user","content":[]})");

    // Absent content is left out, except on an assistant message with tool calls.
    message none;
    none.role = "user";
    CHECK_JSON(to_json(none), R"({"role":"user"})");
    none.role = "assistant";
    CHECK_JSON(to_json(none), R"({"role":"assistant"})");
    none.tool_calls.push_back({"c", "function", {"f", "{}"}});
    CHECK_JSON(to_json(none), R"({"role":"assistant","content":null,
        "tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]})");

    // And back.
    message back;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!parse_json(R"({"role":"assistant","content":null})", back, diag));
    BOOST_TEST(!back.content.has_value());
    BOOST_TEST_REQUIRE(!parse_json(R"({"role":"user","content":""})", back, diag));
    BOOST_TEST_REQUIRE(back.content.has_value());
    BOOST_TEST(std::get<std::string>(*back.content).empty());
    BOOST_TEST_REQUIRE(!parse_json(
        R"({"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}},{"type":"text","text":"t"}]})", back,
        diag));
    const auto& parts = std::get<std::vector<content_part>>(*back.content);
    BOOST_TEST_REQUIRE(parts.size() == 2u);
    BOOST_TEST(std::get<image_url_part>(parts[0]).url == "u");
    BOOST_TEST(!std::get<image_url_part>(parts[0]).detail.has_value());
    BOOST_TEST(std::get<text_part>(parts[1]).text == "t");
}

BOOST_AUTO_TEST_CASE(message_fields_round_trip) {
    message m = message::assistant("answer");
    m.name = "bot";
    m.reasoning_content = "thinking";
    m.tool_calls.push_back({"id1", "function", {"f", "{\"x\":1}"}});
    m.tool_calls.push_back({"id2", "custom", {"g", ""}});
    m.tool_call_id = "t";
    CHECK_JSON(to_json(m), R"({"role":"assistant","content":"answer","name":"bot",
        "tool_calls":[{"id":"id1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}},
                      {"id":"id2","type":"custom","function":{"name":"g","arguments":""}}],
        "tool_call_id":"t","reasoning_content":"thinking"})");
    message back;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!parse_json(json::serialize(to_json(m)), back, diag));
    check_equal(m, back);
}

BOOST_AUTO_TEST_CASE(extra_members_are_merged_last_and_win) {
    chat_request r;
    r.model = "typed";
    r.temperature = 1.0;
    r.extra["model"] = "from-extra";
    r.extra["contents"] = json::array{1, 2};
    CHECK_JSON(to_json(r), R"({"model":"from-extra","messages":[],"temperature":1.0,"contents":[1,2]})");

    message m = message::user("typed");
    m.extra["content"] = "from-extra";
    m.extra["cache_control"] = json::object{{"type", "ephemeral"}};
    CHECK_JSON(to_json(m), R"({"role":"user","content":"from-extra","cache_control":{"type":"ephemeral"}})");
}

BOOST_AUTO_TEST_CASE(unknown_members_land_in_extra) {
    chat_request r;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!parse_json(R"({"model":"m","reasoning":{"effort":"high"},"provider":{"order":["a"]},
        "messages":[{"role":"user","content":"x","cache_control":{"type":"ephemeral"},"weird":null}]})",
                                   r, diag));
    CHECK_JSON(r.extra, R"({"reasoning":{"effort":"high"},"provider":{"order":["a"]}})");
    CHECK_JSON(r.messages.at(0).extra, R"({"cache_control":{"type":"ephemeral"},"weird":null})");
    round_trip(r);
}

BOOST_AUTO_TEST_CASE(non_finite_doubles_become_null) {
    chat_request r;
    r.model = "m";
    r.temperature = std::numeric_limits<double>::quiet_NaN();
    r.top_p = std::numeric_limits<double>::infinity();
    r.presence_penalty = -std::numeric_limits<double>::infinity();
    const std::string text = json::serialize(to_json(r));
    BOOST_TEST(text == R"({"model":"m","messages":[],"temperature":null,"top_p":null,"presence_penalty":null})");
    chat_request back;
    diagnostics diag;
    BOOST_TEST(!parse_json(text, back, diag)); // still valid JSON
    BOOST_TEST(!back.temperature.has_value());
}

BOOST_AUTO_TEST_CASE(logit_bias_keys) {
    chat_request r;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!parse_json(R"({"logit_bias":{"-1":1,"9007199254740993":-100,"3":2.0,"4":null}})", r, diag));
    BOOST_TEST(r.logit_bias.size() == 3u);
    BOOST_TEST(r.logit_bias.at(-1) == 1);
    BOOST_TEST(r.logit_bias.at(9007199254740993) == -100);
    BOOST_TEST(r.logit_bias.at(3) == 2);
    r.model = "m";
    CHECK_JSON(to_json(r), R"({"model":"m","messages":[],"logit_bias":{"-1":1,"3":2,"9007199254740993":-100}})");

    check_malformed(R"({"logit_bias":{"abc":1}})", "logit_bias.abc: expected integer token id as key");
    check_malformed(R"({"logit_bias":{"12x":1}})", "logit_bias.12x: expected integer token id as key");
    check_malformed(R"({"logit_bias":{"":1}})", "logit_bias.: expected integer token id as key");
    check_malformed(R"({"logit_bias":{"1":"5"}})", "logit_bias.1: expected integer");
    check_malformed(R"({"logit_bias":{"1":0.5}})", "logit_bias.1: expected integer");
    check_malformed(R"({"logit_bias":{"1":4294967296}})", "logit_bias.1: expected integer in range");
    check_malformed(R"({"logit_bias":[]})", "logit_bias: expected object");
}

BOOST_AUTO_TEST_CASE(integral_doubles_are_integers) {
    chat_request r;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!parse_json(R"({"n":2.0,"max_tokens":1e3,"seed":-5.0,"temperature":1})", r, diag));
    CHECK_OPT(r.n, 2);
    CHECK_OPT(r.max_tokens, 1000);
    CHECK_OPT(r.seed, -5);
    CHECK_OPT(r.temperature, 1.0); // an integer is a number
    check_malformed(R"({"n":1.5})", "n: expected integer");
    check_malformed(R"({"n":"2"})", "n: expected integer");
    check_malformed(R"({"seed":18446744073709551615})", "seed: expected integer in range");
    check_malformed(R"({"seed":1e19})", "seed: expected integer in range");
    check_malformed(R"({"seed":true})", "seed: expected integer");
}

BOOST_AUTO_TEST_CASE(wrong_types_name_their_path) {
    check_malformed(R"([])", "top level: expected object");
    check_malformed(R"("text")", "top level: expected object");
    check_malformed(R"(null)", "top level: expected object");
    check_malformed(R"({"model":1})", "model: expected string");
    check_malformed(R"({"messages":{}})", "messages: expected array");
    check_malformed(R"({"messages":[{"role":"user"},7]})", "messages[1]: expected object");
    check_malformed(R"({"messages":[{"role":"user"},{"role":"user","content":3}]})",
                    "messages[1].content: expected string or array");
    check_malformed(R"({"messages":[{"role":"user","content":["x"]}]})", "messages[0].content[0]: expected object");
    check_malformed(R"({"messages":[{"content":[{"type":"text","text":"a"},{"type":"input_audio"}]}]})",
                    R"(messages[0].content[1].type: expected "text" or "image_url")");
    check_malformed(R"({"messages":[{"content":[{"text":"a"}]}]})",
                    R"(messages[0].content[0].type: expected "text" or "image_url")");
    check_malformed(R"({"messages":[{"content":[{"type":"image_url","image_url":"https://x"}]}]})",
                    "messages[0].content[0].image_url: expected object");
    check_malformed(R"({"messages":[{"content":[{"type":"image_url","image_url":{"url":1}}]}]})",
                    "messages[0].content[0].image_url.url: expected string");
    check_malformed(R"({"messages":[{"role":["user"]}]})", "messages[0].role: expected string");
    check_malformed(R"({"messages":[{"tool_calls":[{"function":{"arguments":{}}}]}]})",
                    "messages[0].tool_calls[0].function.arguments: expected string");
    check_malformed(R"({"temperature":"hot"})", "temperature: expected number");
    check_malformed(R"({"stream":"yes"})", "stream: expected boolean");
    check_malformed(R"({"tools":[{"function":{"name":"f","parameters":"{}"}}]})",
                    "tools[0].function.parameters: expected object");
    check_malformed(R"({"tools":[{"function":{"name":"f","strict":1}}]})",
                    "tools[0].function.strict: expected boolean");
    check_malformed(R"({"response_format":"json"})", "response_format: expected object");
    check_malformed(R"({"user":5})", "user: expected string");
}

BOOST_AUTO_TEST_CASE(first_error_wins_and_output_is_reset) {
    chat_request r;
    r.model = "stale";
    r.extra["stale"] = 1;
    diagnostics diag;
    BOOST_TEST(parse_json(R"({"n":"x","seed":"y"})", r, diag) == error_code(error::malformed_response));
    BOOST_TEST(diag.message == "n: expected integer");
    BOOST_TEST_REQUIRE(!parse_json(R"({"user":"u"})", r, diag));
    BOOST_TEST(r.model.empty());
    BOOST_TEST(r.extra.empty());
    CHECK_OPT(r.user, "u");
}

BOOST_AUTO_TEST_CASE(tool_defaults) {
    chat_request r;
    diagnostics diag;
    BOOST_TEST_REQUIRE(!parse_json(R"({"tools":[{"function":{"name":"f"}},{"type":"web","function":null}]})", r, diag));
    BOOST_TEST_REQUIRE(r.tools.size() == 2u);
    BOOST_TEST(r.tools[0].type == "function");
    BOOST_TEST(r.tools[0].name == "f");
    BOOST_TEST(!r.tools[0].parameters.has_value());
    BOOST_TEST(!r.tools[0].strict.has_value());
    BOOST_TEST(r.tools[1].type == "web");
    BOOST_TEST(r.tools[1].name.empty());
}

BOOST_AUTO_TEST_CASE(message_from_json_directly) {
    message m;
    diagnostics diag;
    BOOST_TEST(from_json(json::value(5), m, diag) == error_code(error::malformed_response));
    BOOST_TEST(diag.message == "top level: expected object");
    BOOST_TEST_REQUIRE(!from_json(json::parse(R"({"role":"tool","tool_call_id":"c","content":"r"})"), m, diag));
    BOOST_TEST(m.role == "tool");
    CHECK_OPT(m.tool_call_id, "c");
    BOOST_TEST(m.text() == "r");
}

// The client writes a request's body without a JSON tree: byte for byte what
// serialize(to_json()) writes, with member order, extra members replacing
// typed ones in place or following them, every byte of a string escaped or
// not as Boost.JSON escapes it, and numbers formatted alike.
BOOST_AUTO_TEST_CASE(request_json_writes_what_to_json_writes) {
    std::vector<chat_request> requests;
    requests.push_back(full_request());
    requests.emplace_back(); // nothing but empty model and messages

    chat_request all_bytes;
    std::string bytes;
    for (int c = 0; c < 256; ++c)
        bytes.push_back(static_cast<char>(c));
    all_bytes.model = bytes;
    all_bytes.messages.push_back(message::user(bytes + "caf\xC3\xA9 \xF0\x9F\x98\x80 " + bytes));
    all_bytes.messages.push_back(message::user({text_part{bytes}, image_url_part{"\"q\"\\", "\x01"}}));
    all_bytes.user = "\x7F\x1F\x20";
    all_bytes.stop = std::string("\b\f\n\r\t\v");
    requests.push_back(all_bytes);

    chat_request numbers;
    numbers.temperature = std::numeric_limits<double>::quiet_NaN();
    numbers.top_p = std::numeric_limits<double>::infinity();
    numbers.presence_penalty = -0.0;
    numbers.frequency_penalty = 1e300;
    numbers.n = std::numeric_limits<std::int64_t>::min();
    numbers.seed = std::numeric_limits<std::int64_t>::max();
    numbers.max_tokens = 0;
    numbers.logit_bias = {{-7, std::numeric_limits<int>::min()}, {0, 0}, {9'000'000'000, 100}};
    numbers.stream = true;
    requests.push_back(numbers);

    // Extras: replacing typed members written (in place), named like typed
    // members not written (at the end), new, at the top level and in messages.
    chat_request extras = full_request();
    extras.extra["model"] = "from-extra";
    extras.extra["contents"] = json::array{1, 2.5, "x", nullptr};
    extras.extra["max_completion_tokens"] = 7;
    extras.extra["stop"] = nullptr;
    extras.extra["seed"] = json::object{{"a", json::array{}}};
    // Kept as parsed (Boost.JSON reads 0e400 as NaN): written as serialize() writes it.
    extras.extra["odd_numbers"] =
        json::array{std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(), -0.0, 1e300,
                    std::numeric_limits<std::uint64_t>::max()};
    extras.max_completion_tokens.reset(); // its extra now follows the typed members
    extras.messages.at(0).extra["content"] = "from-extra";
    extras.messages.at(0).extra["cache_control"] = json::object{{"type", "ephemeral"}};
    extras.messages.at(2).extra["name"] = "unnamed"; // the assistant's tool call has no name
    extras.messages.at(2).extra["role"] = 5;
    extras.tool_choice = tool_choice{"required", std::nullopt};
    requests.push_back(extras);

    message parts_only;
    parts_only.role = "assistant";
    parts_only.content = std::vector<content_part>{};
    chat_request odd;
    odd.messages = {parts_only, message::tool("", "")};
    odd.stop = std::vector<std::string>{};
    odd.tools.push_back(tool{});
    requests.push_back(odd);

    for (const chat_request& r : requests) {
        const std::string expected = json::serialize(to_json(r));
        BOOST_TEST(detail::request_json(r) == expected);
        // What the client sends for each call, written from the caller's
        // request without changing it.
        for (bool stream : {false, true}) {
            chat_request sent = r;
            sent.stream = stream;
            if (stream && !sent.extra.contains("stream_options"))
                sent.extra["stream_options"] = {{"include_usage", true}};
            BOOST_TEST(detail::request_json(r, stream) == json::serialize(to_json(sent)));
        }
    }
    chat_request own_options = full_request();
    own_options.extra["stream_options"] = json::object{{"include_usage", false}};
    const std::string written = detail::request_json(own_options, true);
    BOOST_TEST(written.find(R"("stream_options":{"include_usage":false})") != std::string::npos, written);
    BOOST_TEST(written.find("include_usage") == written.rfind("include_usage"), written); // once
}

BOOST_AUTO_TEST_SUITE_END()
