#ifndef DGRID_IMPL_ERROR_WITH_DIAGNOSTICS_IPP
#define DGRID_IMPL_ERROR_WITH_DIAGNOSTICS_IPP

#include <dgrid/error_with_diagnostics.hpp>

#include <boost/json/serialize.hpp>

namespace dgrid {
namespace detail {

// system_error appends ": <ec.message()>" to this text.
inline std::string summarize(const diagnostics& diag) {
    std::string text;
    auto add = [&](std::string_view part) {
        if (!text.empty())
            text += "; ";
        text += part;
    };
    if (diag.http_status != 0)
        add("HTTP " + std::to_string(diag.http_status));
    if (!diag.message.empty())
        add(diag.message);
    if (!diag.type.empty())
        add("type " + diag.type);
    if (!diag.code.is_null())
        add("code " + boost::json::serialize(diag.code));
    if (diag.param)
        add("param " + *diag.param);
    if (!diag.request_id.empty())
        add("request id " + diag.request_id);
    if (diag.message.empty() && !diag.body_excerpt.empty())
        add("body: " + diag.body_excerpt);
    if (diag.attempts > 1)
        add(std::to_string(diag.attempts) + " attempts");
    return text.empty() ? "dgrid" : "dgrid: " + text;
}

} // namespace detail

DGRID_DECL error_with_diagnostics::error_with_diagnostics(error_code ec, diagnostics diag)
    : boost::system::system_error(ec, detail::summarize(diag)), diag_(std::move(diag)) {}

DGRID_DECL void throw_on_error(error_code ec, const diagnostics& diag) {
    if (ec)
        throw error_with_diagnostics(ec, diag);
}

} // namespace dgrid

#endif
