// Structured outputs end to end: a request with response_format built from a
// described type, the emulator answering with an instance of its schema, and
// chat_completion::parse reading it back; refusals and answers that are not
// JSON are told apart.
#include "fixture.hpp"

#include <dgrid/json.hpp>
#include <dgrid/response_format.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace dgrid;
using namespace dgrid::test;

namespace answers {

enum class mood { calm, stormy };
BOOST_DESCRIBE_ENUM(mood, calm, stormy)

struct forecast {
    std::string city;
    int high = 0;
    double rain = 0;
    bool windy = false;
    answers::mood sky = mood::stormy;
    std::optional<std::string> warning;
    std::vector<std::string> hours;
};
BOOST_DESCRIBE_STRUCT(forecast, (), (city, high, rain, windy, sky, warning, hours))

struct word_counts {
    std::map<std::string, int> counts;
};
BOOST_DESCRIBE_STRUCT(word_counts, (), (counts))

} // namespace answers

using namespace answers;

namespace {

chat_request json_request(const char* model, boost::json::object format) {
    chat_request request = echo_request("Forecast for Paris as JSON");
    request.model = model;
    request.response_format = std::move(format);
    return request;
}

} // namespace

BOOST_AUTO_TEST_SUITE(structured_output)

BOOST_FIXTURE_TEST_CASE(an_answer_in_the_schema_parses, emulator_fixture) {
    auto c = make_client();
    const chat_completion completion =
        run(c.async_chat(json_request("emulator/json", response_format::json_schema<forecast>("forecast"))));
    const forecast f = completion.parse<forecast>();
    // The emulator's instance: property names for strings, 1, 1.5, true, the first enumerator.
    BOOST_TEST(f.city == "city");
    BOOST_TEST(f.high == 1);
    BOOST_TEST(f.rain == 1.5);
    BOOST_TEST(f.windy);
    BOOST_TEST((f.sky == mood::calm));
    BOOST_TEST(f.warning.value_or("") == "warning");
    BOOST_TEST(f.hours == std::vector<std::string>{"text"});
}

BOOST_FIXTURE_TEST_CASE(a_map_answer_with_a_loose_schema, emulator_fixture) {
    auto c = make_client();
    const chat_completion completion =
        run(c.async_chat(json_request("emulator/json", response_format::json_schema<word_counts>("counts"))));
    error_code ec;
    const std::optional<word_counts> counts = completion.parse<word_counts>(ec);
    BOOST_TEST(!ec);
    BOOST_TEST((counts && counts->counts == std::map<std::string, int>{{"key", 1}}));
}

BOOST_FIXTURE_TEST_CASE(a_refusal_is_its_own_error, emulator_fixture) {
    auto c = make_client();
    const chat_completion completion =
        run(c.async_chat(json_request("emulator/refusal", response_format::json_schema<forecast>("forecast"))));
    BOOST_TEST(completion.choices.at(0).message.refusal.value_or("") == "I can't help with that.");
    error_code ec;
    diagnostics diag;
    BOOST_TEST(!completion.parse<forecast>(ec, diag));
    BOOST_TEST(ec == error::refused);
    BOOST_TEST(diag.message == "I can't help with that.");

    // Streamed, the refusal arrives in deltas, which the stream's completion joins.
    const call_result streamed = stream(c, json_request("emulator/refusal", response_format::json_object()));
    BOOST_TEST(!streamed.ec, streamed.ec.message());
    BOOST_TEST(streamed.completion.choices.at(0).message.refusal.value_or("") == "I can't help with that.");
    BOOST_TEST(!streamed.completion.parse<forecast>(ec));
    BOOST_TEST(ec == error::refused);
}

BOOST_FIXTURE_TEST_CASE(text_where_json_was_wanted, emulator_fixture) {
    auto c = make_client();
    // The echo model ignores the format: its answer is the prompt, not JSON.
    const chat_completion completion =
        run(c.async_chat(json_request("emulator/echo", response_format::json_schema<forecast>("forecast"))));
    error_code ec;
    BOOST_TEST(!completion.parse<forecast>(ec));
    BOOST_TEST(ec == error::content_not_json);
}

BOOST_FIXTURE_TEST_CASE(json_of_another_shape, emulator_fixture) {
    auto c = make_client();
    const chat_completion completion =
        run(c.async_chat(json_request("emulator/json", response_format::json_schema<word_counts>("counts"))));
    error_code ec;
    diagnostics diag;
    BOOST_TEST(!completion.parse<forecast>(ec, diag));
    BOOST_TEST(ec == error::type_mismatch);
    BOOST_TEST(diag.message == "city: missing");
}

BOOST_FIXTURE_TEST_CASE(a_schema_that_doubles_at_every_level_costs_little, emulator_fixture) {
    auto c = make_client();
    chat_request request = echo_request("hostile");
    request.model = "emulator/json";
    request.response_format = boost::json::object{
        {"type", "json_schema"},
        {"json_schema",
         {{"name", "twice"},
          {"schema", {{"type", "object"}, {"properties", {{"a", {{"$ref", "#"}}}, {"b", {{"$ref", "#"}}}}}}}}}};
    const call_result result = chat(c, request);
    BOOST_TEST(!result.ec, result.ec.message());
    BOOST_TEST(result.text.size() < 1'000'000u);
}

BOOST_FIXTURE_TEST_CASE(the_json_model_wants_a_format, emulator_fixture) {
    auto c = make_client();
    chat_request request = echo_request("no format");
    request.model = "emulator/json";
    const call_result result = chat(c, request);
    BOOST_TEST(result.ec == error::bad_request);
    BOOST_TEST(result.diag.param.value_or("") == "response_format");
}

BOOST_AUTO_TEST_SUITE_END()
