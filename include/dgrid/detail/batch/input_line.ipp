#ifndef DGRID_DETAIL_BATCH_INPUT_LINE_IPP
#define DGRID_DETAIL_BATCH_INPUT_LINE_IPP

#include <dgrid/detail/batch/input_line.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace dgrid::detail {

DGRID_DECL input_line parse_input_line(std::string_view text) {
    input_line out;
    const auto fail = [&](std::string code, std::string message) {
        out.error_code = std::move(code);
        out.error_message = std::move(message);
        return std::move(out);
    };
    error_code ec;
    const boost::json::value v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
    if (ec)
        return fail("invalid_line", "not JSON: " + ec.message());
    const boost::json::object* o = v.if_object();
    if (!o)
        return fail("invalid_line", "not a JSON object");
    const boost::json::value* id = o->if_contains("custom_id");
    if (!id || !id->is_string() || id->get_string().empty())
        return fail("invalid_line", "no custom_id string");
    out.custom_id = id->get_string();
    if (const boost::json::value* method = o->if_contains("method");
        method && !(method->is_string() && method->get_string() == "POST"))
        return fail("invalid_line", "method: expected \"POST\"");
    const boost::json::value* url = o->if_contains("url");
    if (!url || !url->is_string())
        return fail("invalid_line", "no url string");
    if (const boost::json::string& u = url->get_string(); u != "/v1/chat/completions" && u != "/chat/completions")
        return fail("unknown_url",
                    "url " + std::string(url->get_string()) + ": only /v1/chat/completions is supported");
    const boost::json::value* body = o->if_contains("body");
    if (!body || !body->is_object())
        return fail("invalid_line", "no body object");
    diagnostics diag;
    if (from_json(*body, out.body, diag))
        return fail("invalid_line", "body." + diag.message);
    return out;
}

} // namespace dgrid::detail

#endif
