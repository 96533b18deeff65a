// Users' described types: their JSON Schema, their JSON both ways, and
// reading a structured answer back with chat_completion::parse.
#include <dgrid/chat_request.hpp>
#include <dgrid/json.hpp>
#include <dgrid/json_schema.hpp>
#include <dgrid/response_format.hpp>

#include "test_support.hpp"

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace json = boost::json;
using namespace dgrid;

namespace shapes {

enum class unit { celsius, fahrenheit };
BOOST_DESCRIBE_ENUM(unit, celsius, fahrenheit)

struct reading {
    double value = 0;
    shapes::unit unit = unit::celsius;
    bool operator==(const reading&) const = default;
};
BOOST_DESCRIBE_STRUCT(reading, (), (value, unit))

struct report {
    std::string city;
    std::int32_t day = 0;
    bool sunny = false;
    std::optional<std::string> note;
    std::vector<reading> readings;
    std::optional<reading> peak;
    bool operator==(const report&) const = default;
};
BOOST_DESCRIBE_STRUCT(report, (), (city, day, sunny, note, readings, peak))

inline json_annotations dgrid_json_annotations(const report*) {
    static constexpr member_annotation members[] = {
        {"city", "The city's name in English"},
        {"day", "Day of the month", "day_of_month"},
    };
    return {"A weather report", members};
}

struct tagged {
    std::map<std::string, int> counts;
    json::value anything;
};
BOOST_DESCRIBE_STRUCT(tagged, (), (counts, anything))

struct node {
    std::string name;
    std::vector<node> children;
};
BOOST_DESCRIBE_STRUCT(node, (), (name, children))

struct tree {
    node root;
};
BOOST_DESCRIBE_STRUCT(tree, (), (root))

struct misannotated {
    int a = 0;
};
BOOST_DESCRIBE_STRUCT(misannotated, (), (a))
inline json_annotations dgrid_json_annotations(const misannotated*) {
    static constexpr member_annotation members[] = {{"b", "no such member"}};
    return {{}, members};
}

struct twice_named {
    int a = 0;
    int b = 0;
};
BOOST_DESCRIBE_STRUCT(twice_named, (), (a, b))
inline json_annotations dgrid_json_annotations(const twice_named*) {
    static constexpr member_annotation members[] = {{"b", "", "a"}};
    return {{}, members};
}

struct daily {
    report today;
    std::vector<bool> hours;
};
BOOST_DESCRIBE_STRUCT(daily, (), (today, hours))
inline json_annotations dgrid_json_annotations(const daily*) {
    static constexpr member_annotation members[] = {{"today", "Today's report"}};
    return {{}, members};
}

} // namespace shapes

using namespace shapes;

namespace {

chat_completion answer(std::string content, std::optional<std::string> finish = "stop") {
    chat_completion c;
    c.choices.emplace_back();
    c.choices.back().message = message::assistant(std::move(content));
    c.choices.back().finish_reason = std::move(finish);
    return c;
}

const report sample{
    "Paris", 6, true, std::nullopt, {{21.5, unit::celsius}, {70, unit::fahrenheit}}, reading{23, unit::celsius}};

constexpr const char* sample_json = R"({"city":"Paris","day_of_month":6,"sunny":true,"note":null,
    "readings":[{"value":21.5,"unit":"celsius"},{"value":70.0,"unit":"fahrenheit"}],
    "peak":{"value":23.0,"unit":"celsius"}})";

// What from_json says about `text` read as a report.
std::string mismatch(const char* text) {
    report out;
    diagnostics diag;
    const error_code ec = from_json(json::parse(text), out, diag);
    BOOST_TEST(ec == error::type_mismatch);
    return diag.message;
}

} // namespace

BOOST_AUTO_TEST_SUITE(described_json)

BOOST_AUTO_TEST_CASE(schema_of_a_struct_follows_the_strict_subset) {
    CHECK_JSON(json_schema<report>(), R"({
        "type": "object", "description": "A weather report",
        "properties": {
            "city": {"type": "string", "description": "The city's name in English"},
            "day_of_month": {"type": "integer", "description": "Day of the month"},
            "sunny": {"type": "boolean"},
            "note": {"type": ["string", "null"]},
            "readings": {"type": "array", "items": {
                "type": "object",
                "properties": {"value": {"type": "number"},
                               "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                "required": ["value", "unit"], "additionalProperties": false}},
            "peak": {"anyOf": [{
                "type": "object",
                "properties": {"value": {"type": "number"},
                               "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                "required": ["value", "unit"], "additionalProperties": false}, {"type": "null"}]}
        },
        "required": ["city", "day_of_month", "sunny", "note", "readings", "peak"],
        "additionalProperties": false})");
}

BOOST_AUTO_TEST_CASE(an_optional_enum_admits_null) {
    CHECK_JSON(json_schema<std::optional<unit>>(),
               R"({"type": ["string", "null"], "enum": ["celsius", "fahrenheit", null]})");
}

BOOST_AUTO_TEST_CASE(open_objects_make_a_schema_not_strict) {
    CHECK_JSON(json_schema<tagged>(), R"({
        "type": "object",
        "properties": {"counts": {"type": "object", "additionalProperties": {"type": "integer"}}, "anything": {}},
        "required": ["counts", "anything"], "additionalProperties": false})");
    const json::object format = response_format::json_schema<tagged>("tagged");
    BOOST_TEST(format.at("json_schema").at("strict") == false);
    BOOST_TEST(response_format::json_schema<report>("report").at("json_schema").at("strict") == true);
}

BOOST_AUTO_TEST_CASE(recursion_goes_through_refs) {
    CHECK_JSON(json_schema<node>(), R"({
        "type": "object",
        "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
        "required": ["name", "children"], "additionalProperties": false})");
    const json::object schema = json_schema<tree>();
    const std::string def = "shapes__node";
    CHECK_JSON(schema.at("properties").at("root").at("properties").at("children"),
               R"({"type": "array", "items": {"$ref": "#/$defs/shapes__node"}})");
    CHECK_JSON(schema.at("$defs").at(def), R"({
        "type": "object",
        "properties": {"name": {"type": "string"},
                       "children": {"type": "array", "items": {"$ref": "#/$defs/shapes__node"}}},
        "required": ["name", "children"], "additionalProperties": false})");
}

BOOST_AUTO_TEST_CASE(an_annotation_naming_no_member_is_reported) {
    BOOST_CHECK_EXCEPTION(json_schema<misannotated>(), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("names no member `b`") != std::string::npos;
    });
}

BOOST_AUTO_TEST_CASE(two_members_with_one_json_name_are_reported) {
    BOOST_CHECK_EXCEPTION(json_schema<twice_named>(), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("have the JSON name `a`") != std::string::npos;
    });
}

BOOST_AUTO_TEST_CASE(a_members_description_wins_over_its_types) {
    const json::object schema = json_schema<daily>();
    BOOST_TEST(schema.at("properties").at("today").at("description") == "Today's report");
    daily d;
    diagnostics diag;
    BOOST_TEST(
        !from_json(json::parse(std::string(R"({"today":)") + sample_json + R"(,"hours":[true,false]})"), d, diag),
        diag.message);
    BOOST_TEST((d.hours == std::vector<bool>{true, false}));
    BOOST_TEST((d.today == sample));
}

BOOST_AUTO_TEST_CASE(response_format_values) {
    CHECK_JSON(response_format::text(), R"({"type":"text"})");
    CHECK_JSON(response_format::json_object(), R"({"type":"json_object"})");
    const json::object format = response_format::json_schema<report>("weather_report");
    BOOST_TEST(format.at("type") == "json_schema");
    BOOST_TEST(format.at("json_schema").at("name") == "weather_report");
    BOOST_TEST(format.at("json_schema").at("description") == "A weather report");
    BOOST_TEST(format.at("json_schema").at("schema") == json::value(json_schema<report>()));
}

BOOST_AUTO_TEST_CASE(a_tool_from_described_arguments) {
    const tool t = tool::function<report>("file_report", "Files a weather report");
    BOOST_TEST(t.type == "function");
    BOOST_TEST(t.name == "file_report");
    CHECK_OPT(t.description, "Files a weather report");
    BOOST_TEST((t.parameters && json::value(*t.parameters) == json::value(json_schema<report>())));
    CHECK_OPT(t.strict, true);
    CHECK_OPT(tool::function<tagged>("tag", "").strict, false);
}

BOOST_AUTO_TEST_CASE(json_both_ways) {
    CHECK_JSON(to_json(sample), sample_json);
    report back;
    diagnostics diag;
    BOOST_TEST(!from_json(json::parse(sample_json), back, diag));
    BOOST_TEST((back == sample));
    BOOST_TEST(to_json(unit::fahrenheit) == "fahrenheit");
    BOOST_TEST(to_json(static_cast<unit>(7)).is_null());

    report parsed;
    BOOST_TEST(!parse_json(sample_json, parsed, diag));
    BOOST_TEST((parsed == sample));
}

BOOST_AUTO_TEST_CASE(lenient_where_the_meaning_is_clear) {
    report out;
    diagnostics diag;
    // A missing optional, an integral double, members not described.
    BOOST_TEST(!from_json(json::parse(R"({"city":"Oslo","day_of_month":3.0,"sunny":false,"readings":[],
                                         "peak":null,"wind":"strong"})"),
                          out, diag));
    BOOST_TEST(out.day == 3);
    BOOST_TEST(!out.note.has_value());
    BOOST_TEST(!out.peak.has_value());
}

BOOST_AUTO_TEST_CASE(mismatches_name_their_path) {
    BOOST_TEST(mismatch("[]") == "top level: expected object");
    BOOST_TEST(mismatch(R"({"city":1})") == "city: expected string");
    BOOST_TEST(mismatch(R"({"city":"a"})") == "day_of_month: missing");
    BOOST_TEST(mismatch(R"({"city":"a","day_of_month":1.5})") == "day_of_month: integer out of range or not whole");
    BOOST_TEST(mismatch(R"({"city":"a","day_of_month":3000000000})") ==
               "day_of_month: integer out of range or not whole");
    BOOST_TEST(mismatch(R"({"city":"a","day_of_month":"1"})") == "day_of_month: expected integer");
    BOOST_TEST(mismatch(R"({"city":"a","day_of_month":1,"sunny":1})") == "sunny: expected boolean");
    BOOST_TEST(mismatch(R"({"city":"a","day_of_month":1,"sunny":true,"note":7})") == "note: expected string");
    BOOST_TEST(mismatch(R"({"city":"a","day_of_month":1,"sunny":true,"readings":{}})") == "readings: expected array");
    BOOST_TEST(mismatch(R"({"city":"a","day_of_month":1,"sunny":true,
        "readings":[{"value":1,"unit":"celsius"},{"value":"x","unit":"celsius"}]})") ==
               "readings[1].value: expected number");
    BOOST_TEST(mismatch(R"({"city":"a","day_of_month":1,"sunny":true,
        "readings":[{"value":1,"unit":"kelvin"}]})") == "readings[0].unit: not one of the enum's names");
    BOOST_TEST(mismatch(R"({"city":"a","day_of_month":1,"sunny":true,"readings":[],"peak":{"value":1}})") ==
               "peak.unit: missing");

    tagged t;
    diagnostics diag;
    BOOST_TEST(from_json(json::parse(R"({"counts":{"a":1,"b":"two"},"anything":[1]})"), t, diag) ==
               error::type_mismatch);
    BOOST_TEST(diag.message == "counts.b: expected integer");
    BOOST_TEST(!from_json(json::parse(R"({"counts":{"a":1},"anything":[1]})"), t, diag));
    BOOST_TEST(t.counts.at("a") == 1);
    BOOST_TEST(t.anything == json::parse("[1]"));
}

BOOST_AUTO_TEST_CASE(parse_reads_the_first_answer) {
    error_code ec;
    diagnostics diag;
    const std::optional<report> r = answer(sample_json).parse<report>(ec, diag);
    BOOST_TEST(!ec);
    BOOST_TEST((r && *r == sample));
    BOOST_TEST((answer(sample_json).parse<report>() == sample));

    // Content as text parts, joined.
    chat_completion parts = answer("");
    parts.choices[0].message.content =
        std::vector<content_part>{text_part{R"({"value":1,)"}, text_part{R"("unit":"celsius"})"}};
    BOOST_TEST((parts.parse<reading>(ec) == reading{1, unit::celsius}));
}

BOOST_AUTO_TEST_CASE(parse_tells_refusals_bad_json_and_mismatches_apart) {
    error_code ec;
    diagnostics diag;

    chat_completion refused = answer("");
    refused.choices[0].message.content.reset();
    refused.choices[0].message.refusal = "I can't help with that.";
    BOOST_TEST(!refused.parse<report>(ec, diag).has_value());
    BOOST_TEST(ec == error::refused);
    BOOST_TEST(diag.message == "I can't help with that.");

    chat_completion empty_refusal = answer(sample_json);
    empty_refusal.choices[0].message.refusal = ""; // some gateways send it with every answer
    BOOST_TEST(empty_refusal.parse<report>(ec).has_value());

    BOOST_TEST(!answer("sunny, 21 degrees").parse<report>(ec, diag));
    BOOST_TEST(ec == error::content_not_json);
    BOOST_TEST(diag.message.find("not JSON") != std::string::npos);

    BOOST_TEST(!answer(R"({"city":"Pa)", "length").parse<report>(ec, diag));
    BOOST_TEST(ec == error::content_not_json);
    BOOST_TEST(diag.message.find("token limit") != std::string::npos);

    BOOST_TEST(!chat_completion{}.parse<report>(ec, diag));
    BOOST_TEST(ec == error::content_not_json);
    BOOST_TEST(diag.message == "the completion has no choice");

    BOOST_TEST(!answer(R"({"city":"a","day_of_month":"x"})").parse<report>(ec, diag));
    BOOST_TEST(ec == error::type_mismatch);
    BOOST_TEST(diag.message == "day_of_month: expected integer");

    BOOST_CHECK_EXCEPTION(answer("[]").parse<report>(), error_with_diagnostics, [](const error_with_diagnostics& e) {
        return e.code() == error::type_mismatch && e.get_diagnostics().message == "top level: expected object";
    });
}

BOOST_AUTO_TEST_CASE(refusal_is_read_and_written) {
    chat_completion c;
    diagnostics diag;
    BOOST_TEST(!parse_json(R"({"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":null,
        "refusal":"No."},"finish_reason":"stop"}]})",
                           c, diag));
    BOOST_TEST(c.choices.size() == 1u);
    CHECK_OPT(c.choices[0].message.refusal, "No.");
    BOOST_TEST(c.choices[0].message.extra.empty());
    const json::value written = to_json(c.choices[0].message);
    BOOST_TEST(written.at("refusal") == "No.");
}

BOOST_AUTO_TEST_SUITE_END()
