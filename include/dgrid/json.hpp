#ifndef DGRID_JSON_HPP
#define DGRID_JSON_HPP

#include <dgrid/chat_chunk.hpp>
#include <dgrid/chat_completion.hpp>
#include <dgrid/chat_request.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/detail/described/read_value.hpp>
#include <dgrid/detail/described/write_value.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/error_with_diagnostics.hpp>
#include <dgrid/model_list.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>

#include <string_view>
#include <type_traits>

namespace dgrid {

/// The JSON form of each API type, as sent or received on the wire.
/// Absent optionals and empty lists are left out; `extra` members are merged in
/// last and replace typed members of the same name. A NaN or infinite double
/// has no JSON form and is written as null: validate numbers before sending
/// (the client reports `error::invalid_request`).
DGRID_DECL boost::json::value to_json(const message& m);
/// The JSON form of a chat request, as above.
DGRID_DECL boost::json::value to_json(const chat_request& r);
/// The JSON form of a chat completion, as above.
DGRID_DECL boost::json::value to_json(const chat_completion& c);
/// The JSON form of a model list, as above.
DGRID_DECL boost::json::value to_json(const model_list& l);
/// A stream chunk; `object` is written as "chat.completion.chunk" when empty,
/// `delta` always (`{}` when it adds nothing).
DGRID_DECL boost::json::value to_json(const chat_chunk& c);

/// Reads an API type from JSON without throwing. Null and absent members give
/// empty optionals; unknown members go to `extra`. A member of the wrong type
/// gives `error::malformed_response` and `diag.message` names its path
/// (`choices[0].message.content: expected string or array`; "top level" when
/// `v` is not an object). `out` is reset first.
DGRID_DECL error_code from_json(const boost::json::value& v, message& out, diagnostics& diag);
/// Reads a chat request, as above.
DGRID_DECL error_code from_json(const boost::json::value& v, chat_request& out, diagnostics& diag);
/// Reads a chat completion, as above.
DGRID_DECL error_code from_json(const boost::json::value& v, chat_completion& out, diagnostics& diag);
/// Reads a model list, as above.
DGRID_DECL error_code from_json(const boost::json::value& v, model_list& out, diagnostics& diag);

/// Reads a stream chunk, leniently as gateways send them (docs/wire.md,
/// "Quirks the readers tolerate"):
/// `choices` null or missing is empty, a null or missing `delta` adds nothing,
/// `reasoning` stands for an absent or empty `reasoning_content`, a tool-call
/// fragment or choice without `index` takes its position in the array,
/// `object` is kept but not checked, and `content` may also be an array of
/// `{"type":"text"}` parts, joined. Unknown members go to the `extra` of their
/// level (but those of a tool call's `function`). A non-null top-level
/// `error` member (docs/wire.md, "Error objects inside a stream") gives
/// `error::stream_error` with `diag.message`, `type`, `param` and `code` filled
/// in; the rest of the chunk is still read into `out`.
DGRID_DECL error_code from_json(const boost::json::value& v, chat_chunk& out, diagnostics& diag);

namespace detail {
template <class T>
concept api_json_type = std::is_same_v<T, message> || std::is_same_v<T, chat_request> ||
    std::is_same_v<T, chat_completion> || std::is_same_v<T, chat_chunk> || std::is_same_v<T, model_list>;

// Every type of the API described with Boost.Describe: the library reads and
// writes them with its own rules (absent optionals left out, `extra`), not
// with those for users' types below.
template <class T>
concept wire_type =
    std::disjunction_v<std::is_same<T, function_call>, std::is_same<T, tool_call>,
                       std::is_same<T, prompt_tokens_details>, std::is_same<T, completion_tokens_details>,
                       std::is_same<T, usage>, std::is_same<T, choice>, std::is_same<T, chat_completion>,
                       std::is_same<T, model_info>, std::is_same<T, model_list>, std::is_same<T, chat_request>,
                       std::is_same<T, tool_call_delta>, std::is_same<T, chunk_delta>, std::is_same<T, chunk_choice>,
                       std::is_same<T, chat_chunk>>;

/// A user's type for the templates below.
template <class T>
concept user_json_type = (described_struct<T> || described_enum<T>)&&!wire_type<T>;
} // namespace detail

/// Boost.JSON's conversion of the API types:
/// `boost::json::value_from(completion)` is `to_json(completion)`.
template <class T>
requires detail::api_json_type<T>
void tag_invoke(boost::json::value_from_tag, boost::json::value& out, const T& x) { out = to_json(x); }

/// `boost::json::value_to<chat_completion>(v)` and the like: `from_json`,
/// throwing `error_with_diagnostics` when `v` does not have the type's shape.
template <class T>
requires detail::api_json_type<T> T tag_invoke(boost::json::value_to_tag<T>, const boost::json::value& v) {
    T out;
    diagnostics diag;
    if (const error_code ec = from_json(v, out, diag))
        throw error_with_diagnostics(ec, std::move(diag));
    return out;
}

/// The JSON form of a user's type described with Boost.Describe (see
/// `json_schema` for the types a described struct may hold): a struct is an
/// object of all its members under their annotated names, an absent optional
/// is null, an enum is its enumerator's name (null for a value without one),
/// a NaN or infinite number is null.
template <class T>
requires detail::user_json_type<T> boost::json::value to_json(const T& x) { return detail::write_value(x); }

/// Reads a user's described type from JSON, the inverse of the above: every
/// member must be present except optionals, which may also be null; members
/// not described are ignored; an integer member takes a whole number in its
/// range (also written `3.0`). On a mismatch, `error::type_mismatch` with
/// `diag.message` naming the path of the first one
/// (`items[2].name: expected string`); `out` is then partly written.
template <class T>
requires detail::user_json_type<T> error_code from_json(const boost::json::value& v, T& out, diagnostics& diag) {
    detail::read_context where;
    if (detail::read_value(v, out, where))
        return {};
    diag.message = where.message();
    return error::type_mismatch;
}

/// Parses JSON text into `out`: `error::invalid_json` when the text is not
/// JSON, otherwise as `from_json`. A `\u` escape of a UTF-16 surrogate
/// without its other half, which Boost.JSON refuses, is read as U+FFFD; in a
/// chunk's free text (`content`, `reasoning_content`, `arguments`) it is kept
/// in its three-byte (WTF-8) form instead, for a stream to join with the
/// half that comes in the next chunk.
template <class T>
error_code parse_json(std::string_view text, T& out, diagnostics& diag);

/// The same for a chat completion, the client's hot path: the usual shapes
/// are read in one pass without a JSON tree, the rest as above, with the same
/// result either way.
DGRID_DECL error_code parse_json(std::string_view text, chat_completion& out, diagnostics& diag);

/// Reads an OpenAI-shaped error body (`{"error":{"message","type","param","code"}}`)
/// into `diag`; the proxy shapes `{"error":"..."}`, `{"message":"..."}` and
/// `{"detail":"..."}` give the message only, and Express's
/// `{"error":"TypeError","message":"...","status":500}` the message and, from
/// `error`, the type. When no message is found, the
/// start of the body (at most 512 bytes, control characters made spaces) is
/// kept as `diag.body_excerpt`.
DGRID_DECL void read_error_body(std::string_view body, diagnostics& diag);

} // namespace dgrid

#include <dgrid/impl/json.hpp>
#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/json.ipp>
#endif

#endif
