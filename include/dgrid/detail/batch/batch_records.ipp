#ifndef DGRID_DETAIL_BATCH_BATCH_RECORDS_IPP
#define DGRID_DETAIL_BATCH_BATCH_RECORDS_IPP

#include <dgrid/detail/batch/batch_records.hpp>
#include <dgrid/detail/batch/id_set.hpp>
#include <dgrid/detail/json/request_writer.hpp>
#include <dgrid/json.hpp>

#include <boost/describe/enum_to_string.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>

namespace dgrid::detail {

namespace batch_recording {

namespace json = boost::json;

// `batch_req_` and 16 hex digits of the id's hash: the same in every run.
inline std::string record_id(std::string_view prefix, std::uint64_t n) {
    char digits[17];
    std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(n));
    return std::string(prefix) + digits;
}

inline json::string_view sv(std::string_view s) noexcept { return {s.data(), s.size()}; }

} // namespace batch_recording

DGRID_DECL std::string error_name(error_code ec) {
    if (ec.category() == error_category())
        if (const char* name = boost::describe::enum_to_string(static_cast<error>(ec.value()), nullptr))
            return name;
    return std::string(ec.category().name()) + ":" + std::to_string(ec.value());
}

// Written as text, not as a tree: this runs for every answer of a batch.
DGRID_DECL std::string answer_record(std::string_view custom_id, const chat_completion& completion) {
    using namespace batch_recording;
    std::string out;
    out.reserve(1024);
    out += R"({"id":")";
    out += record_id("batch_req_", fnv1a(custom_id));
    out += R"(","custom_id":)";
    append_json_string(out, custom_id);
    out += R"(,"response":{"status_code":)";
    out += std::to_string(completion.response.http_status);
    out += R"(,"request_id":)";
    append_json_string(out, completion.response.request_id);
    out += R"(,"body":)";
    append_completion_json(out, completion);
    out += R"(},"error":null})";
    return out;
}

DGRID_DECL std::string failure_record(std::string_view custom_id, error_code ec, const diagnostics& diag) {
    using namespace batch_recording;
    json::object o;
    o.emplace("id", record_id("batch_req_", fnv1a(custom_id)));
    o.emplace("custom_id", sv(custom_id));
    if (diag.http_status != 0) {
        json::object& response = o.emplace("response", json::object()).first->value().get_object();
        response.emplace("status_code", diag.http_status);
        response.emplace("request_id", sv(diag.request_id));
        json::object& e = response.emplace("body", json::object())
                              .first->value()
                              .get_object()
                              .emplace("error", json::object())
                              .first->value()
                              .get_object();
        e.emplace("message", sv(diag.message));
        e.emplace("type", sv(diag.type));
        e.emplace("param", diag.param ? json::value(sv(*diag.param)) : json::value());
        e.emplace("code", diag.code);
    } else {
        o.emplace("response", nullptr);
    }
    json::object& error = o.emplace("error", json::object()).first->value().get_object();
    error.emplace("code", error_name(ec));
    error.emplace("message", diag.message.empty() ? ec.message() : diag.message);
    return json::serialize(o);
}

DGRID_DECL std::string line_record(std::size_t line, std::string_view custom_id, std::string_view code,
                                   std::string_view message) {
    using namespace batch_recording;
    json::object o;
    o.emplace("id", record_id("batch_line_", line));
    o.emplace("custom_id", custom_id.empty() ? json::value() : json::value(sv(custom_id)));
    o.emplace("line", line);
    o.emplace("response", nullptr);
    json::object& error = o.emplace("error", json::object()).first->value().get_object();
    error.emplace("code", sv(code));
    error.emplace("message", "line " + std::to_string(line) + ": " + std::string(message));
    return json::serialize(o);
}

DGRID_DECL std::optional<record_key> read_record_key(std::string_view record) {
    namespace json = boost::json;
    error_code ec;
    const json::value v = json::parse(json::string_view(record.data(), record.size()), ec);
    const json::object* o = ec ? nullptr : v.if_object();
    if (!o)
        return std::nullopt;
    record_key key;
    if (const json::value* line = o->if_contains("line"))
        if (const std::uint64_t* n = line->if_uint64(); n || line->is_int64())
            key.line = n ? *n : static_cast<std::size_t>(line->get_int64());
    if (const json::value* id = o->if_contains("custom_id"); id && id->is_string())
        key.custom_id = id->get_string();
    if (!key.line && key.custom_id.empty())
        return std::nullopt;
    return key;
}

} // namespace dgrid::detail

#endif
