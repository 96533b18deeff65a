#ifndef DGRID_GEMINI_CONTENTS_HPP
#define DGRID_GEMINI_CONTENTS_HPP

#include <dgrid/chat_request.hpp>
#include <dgrid/detail/config.hpp>

#include <boost/json/array.hpp>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dgrid {

/// Gemini's `inlineData`: bytes sent inline, already base64 encoded.
struct gemini_inline_data {
    /// Equal when every member is.
    bool operator==(const gemini_inline_data&) const = default;

    /// `mimeType`, e.g. "image/png".
    std::string mime_type;
    /// `data`: the bytes in base64 (standard alphabet, padded).
    std::string data;
};

/// One Gemini-native part: `{"text":...}` or `{"inlineData":{...}}`.
struct gemini_part {
    /// Equal when every member is.
    bool operator==(const gemini_part&) const = default;

    /// The text, or the inline data.
    std::variant<std::string, gemini_inline_data> value;

    /// A text part.
    static gemini_part text(std::string text) { return {std::move(text)}; }

    /// An inline data part holding `bytes`, which are base64 encoded here.
    static gemini_part inline_bytes(std::string_view bytes, std::string mime_type);
};

/// One entry of DGrid's `contents` extension: a Gemini `Content` object.
struct gemini_content {
    /// Equal when every member is.
    bool operator==(const gemini_content&) const = default;

    /// "user" or "model"; an empty role is left out of the JSON.
    std::string role = "user";
    /// `parts`: the text and inline data of the content, in order.
    std::vector<gemini_part> parts;
};

/// The JSON of DGrid's `contents` field, in Gemini's camelCase:
/// `[{"role":"user","parts":[{"text":"..."},{"inlineData":{"mimeType":"image/png","data":"..."}}]}]`.
DGRID_DECL boost::json::array to_json(const std::vector<gemini_content>& contents);

/// Stores `to_json(contents)` as `r.extra["contents"]`, replacing any earlier
/// value. DGrid sends these Gemini-native parts to models that support them,
/// next to the OpenAI-style `messages`; other models may ignore or reject them.
DGRID_DECL void set_contents(chat_request& r, const std::vector<gemini_content>& contents);

} // namespace dgrid

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/gemini_contents.ipp>
#endif

#endif
