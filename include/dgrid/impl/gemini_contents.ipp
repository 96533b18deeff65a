#ifndef DGRID_IMPL_GEMINI_CONTENTS_IPP
#define DGRID_IMPL_GEMINI_CONTENTS_IPP

#include <dgrid/base64.hpp>
#include <dgrid/gemini_contents.hpp>

#include <boost/json/object.hpp>

#include <utility>

namespace dgrid {

DGRID_DECL gemini_part gemini_part::inline_bytes(std::string_view bytes, std::string mime_type) {
    return {gemini_inline_data{std::move(mime_type), base64_encode(bytes)}};
}

DGRID_DECL boost::json::array to_json(const std::vector<gemini_content>& contents) {
    boost::json::array out;
    out.reserve(contents.size());
    for (const gemini_content& content : contents) {
        boost::json::object entry;
        if (!content.role.empty())
            entry.emplace("role", content.role);
        boost::json::array parts;
        parts.reserve(content.parts.size());
        for (const gemini_part& part : content.parts) {
            boost::json::object p;
            if (const auto* text = std::get_if<std::string>(&part.value)) {
                p.emplace("text", *text);
            } else {
                const auto& inline_data = std::get<gemini_inline_data>(part.value);
                boost::json::object d;
                d.emplace("mimeType", inline_data.mime_type);
                d.emplace("data", inline_data.data);
                p.emplace("inlineData", std::move(d));
            }
            parts.emplace_back(std::move(p));
        }
        entry.emplace("parts", std::move(parts));
        out.emplace_back(std::move(entry));
    }
    return out;
}

DGRID_DECL void set_contents(chat_request& r, const std::vector<gemini_content>& contents) {
    r.extra["contents"] = to_json(contents);
}

} // namespace dgrid

#endif
