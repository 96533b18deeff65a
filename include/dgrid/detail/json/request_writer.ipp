#ifndef DGRID_DETAIL_JSON_REQUEST_WRITER_IPP
#define DGRID_DETAIL_JSON_REQUEST_WRITER_IPP

#include <dgrid/detail/json/json_text.hpp>
#include <dgrid/detail/json/request_writer.hpp>
#include <dgrid/detail/json/wire_members.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace dgrid::detail {

namespace request_writing {

namespace json = boost::json;

// A string as Boost.JSON's serializer writes it: the quote, the backslash and
// control characters escaped (\b \t \n \f \r by name, the others as \u00xx),
// every other byte as it is.
inline void append_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    const char* const end = s.data() + s.size();
    const char* run = s.data();
    const char* p = json_text::plain_run_end(run, end);
    if (p == end) {
        // Nothing to escape (most keys and values): one copy.
        const std::size_t at = out.size();
        out.resize(at + s.size() + 2);
        char* to = out.data() + at;
        *to = '"';
        if (!s.empty())
            std::memcpy(to + 1, s.data(), s.size());
        to[s.size() + 1] = '"';
        return;
    }
    out.push_back('"');
    for (; p != end; p = json_text::plain_run_end(p, end)) {
        const auto c = static_cast<unsigned char>(*p++);
        if (c >= 0x80)
            continue; // UTF-8 goes out as it is
        out.append(run, p - 1);
        run = p;
        out.push_back('\\');
        switch (c) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '\b': out.push_back('b'); break;
        case '\t': out.push_back('t'); break;
        case '\n': out.push_back('n'); break;
        case '\f': out.push_back('f'); break;
        case '\r': out.push_back('r'); break;
        default:
            out.append("u00");
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        }
    }
    out.append(run, end);
    out.push_back('"');
}

inline void append_integer(std::string& out, std::int64_t v) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, v);
    out.append(digits, result.ptr);
}

// Doubles are rare in a request: Boost.JSON formats them. A NaN or infinite
// double is written as null, as to_json does.
inline void append_double(std::string& out, double d) {
    if (std::isfinite(d))
        out += json::serialize(json::value(d));
    else
        out += "null";
}

inline void append_value(std::string& out, const json::object& o);

// Values kept as JSON (`extra`, `logprobs`) walked here rather than by
// `json::serialize`, which makes a serializer and a string for each: a
// completion's `extra` members are mostly small numbers.
inline void append_value(std::string& out, const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: out += "null"; return;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; return;
    case json::kind::int64: append_integer(out, v.get_int64()); return;
    case json::kind::uint64: {
        char digits[24];
        out.append(digits, std::to_chars(digits, digits + sizeof digits, v.get_uint64()).ptr);
        return;
    }
    case json::kind::double_:
        out += json::serialize(v); // as it was kept, a non-finite one included
        return;
    case json::kind::string: append_string(out, v.get_string()); return;
    case json::kind::array: {
        out.push_back('[');
        bool first = true;
        for (const json::value& item : v.get_array()) {
            if (!first)
                out.push_back(',');
            first = false;
            append_value(out, item);
        }
        out.push_back(']');
        return;
    }
    case json::kind::object: append_value(out, v.get_object()); return;
    }
}

inline void append_value(std::string& out, const json::object& o) {
    out.push_back('{');
    bool first = true;
    for (const json::key_value_pair& kv : o) {
        if (!first)
            out.push_back(',');
        first = false;
        append_string(out, kv.key());
        out.push_back(':');
        append_value(out, kv.value());
    }
    out.push_back('}');
}

// The members of one object, `extra` merged in as to_json merges it: a member
// of `extra` named like a typed member written replaces it in place, the
// others follow the typed members.
class object_writer {
public:
    explicit object_writer(std::string& out, const json::object* extra = nullptr)
        : out_(out), extra_(extra && !extra->empty() ? extra : nullptr) {
        out_.push_back('{');
        if (extra_)
            replaced_.assign(extra_->size(), false);
    }

    object_writer(const object_writer&) = delete;
    object_writer& operator=(const object_writer&) = delete;

    // The member `key`, whose value `write_value` appends.
    template <class WriteValue>
    void member(std::string_view key, WriteValue&& write_value) {
        start(key);
        if (extra_) {
            if (auto it = extra_->find(json::string_view(key.data(), key.size())); it != extra_->end()) {
                replaced_[static_cast<std::size_t>(it - extra_->begin())] = true;
                return append_value(out_, it->value());
            }
        }
        write_value();
    }

    void text(std::string_view key, std::string_view v) {
        member(key, [&] { append_string(out_, v); });
    }

    void optional_text(std::string_view key, const std::optional<std::string>& v) {
        if (v)
            text(key, *v);
    }

    void integer(std::string_view key, const std::optional<std::int64_t>& v) {
        if (v)
            member(key, [&] { append_integer(out_, *v); });
    }

    void real(std::string_view key, const std::optional<double>& v) {
        if (v)
            member(key, [&] { append_double(out_, *v); });
    }

    void boolean(std::string_view key, const std::optional<bool>& v) {
        if (v)
            member(key, [&] { out_ += *v ? "true" : "false"; });
    }

    void object(std::string_view key, const std::optional<json::object>& v) {
        if (v)
            member(key, [&] { append_value(out_, *v); });
    }

    // The members of `extra` not written in place, once.
    void rest_of_extra() {
        if (extra_) {
            for (std::size_t i = 0; i < replaced_.size(); ++i) {
                if (replaced_[i])
                    continue;
                const json::key_value_pair& kv = extra_->begin()[i];
                start(kv.key());
                append_value(out_, kv.value());
            }
        }
        extra_ = nullptr;
    }

    // A member whose value is JSON text, after the rest of `extra`.
    void raw(std::string_view key, std::string_view value) {
        rest_of_extra();
        start(key);
        out_ += value;
    }

    // The rest of `extra`, and the closing brace.
    void finish() {
        rest_of_extra();
        out_.push_back('}');
    }

private:
    void start(std::string_view key) {
        if (!first_)
            out_.push_back(',');
        first_ = false;
        append_string(out_, key);
        out_.push_back(':');
    }

    std::string& out_;
    const json::object* extra_; // null when there is none
    std::vector<bool> replaced_;
    bool first_ = true;
};

// `[` write(item)... `]`.
template <class T, class WriteItem>
void append_array(std::string& out, const std::vector<T>& items, WriteItem&& write_item) {
    out.push_back('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i != 0)
            out.push_back(',');
        write_item(items[i]);
    }
    out.push_back(']');
}

// The text of a member's value; the adapters for the wire's own shapes and
// the described types are declared here and defined below.
inline void append_value(std::string& out, const std::string& s) { append_string(out, s); }
inline void append_value(std::string& out, std::int64_t i) { append_integer(out, i); }
inline void append_value(std::string& out, double d) { append_double(out, d); }
inline void append_value(std::string& out, bool b) { out += b ? "true" : "false"; }
inline void append_value(std::string& out, const message& m);
inline void append_value(std::string& out, const tool& t);
inline void append_value(std::string& out, const tool_choice& c);
inline void append_value(std::string& out, const stop_sequences& stop);
inline void append_value(std::string& out, const std::map<std::int64_t, int>& logit_bias);
template <described_struct T>
void append_value(std::string& out, const T& x);
template <class T>
void append_value(std::string& out, const std::vector<T>& items) {
    append_array(out, items, [&](const T& item) { append_value(out, item); });
}

// The member `name` of a `T` when its JSON holds it (wire_members.hpp).
template <class T, class Member>
void append_member(std::string& out, object_writer& o, std::string_view name, const Member& value) {
    if (!wire_present<T>(name, value))
        return;
    if constexpr (is_optional<Member>)
        o.member(name, [&] { append_value(out, *value); });
    else
        o.member(name, [&] { append_value(out, value); });
}

// A described type: its members in order, `extra` merged in.
template <described_struct T>
void append_value(std::string& out, const T& x) {
    const json::object* extra = nullptr;
    if constexpr (requires { x.extra; })
        extra = &x.extra;
    object_writer o(out, extra);
    for_each_member(x, [&](std::string_view name, const auto& value) { append_member<T>(out, o, name, value); });
    o.finish();
}

inline void append_part(std::string& out, const content_part& part) {
    object_writer p(out);
    if (const auto* t = std::get_if<text_part>(&part)) {
        p.text("type", "text");
        p.text("text", t->text);
    } else {
        const auto& image = std::get<image_url_part>(part);
        p.text("type", "image_url");
        p.member("image_url", [&] {
            object_writer url(out);
            url.text("url", image.url);
            url.optional_text("detail", image.detail);
            url.finish();
        });
    }
    p.finish();
}

inline void append_content(std::string& out, const message_content& content) {
    if (const auto* s = std::get_if<std::string>(&content))
        return append_string(out, *s);
    append_array(out, std::get<std::vector<content_part>>(content),
                 [&](const content_part& part) { append_part(out, part); });
}

inline void append_value(std::string& out, const message& m) {
    object_writer o(out, &m.extra);
    o.text("role", m.role);
    if (m.content)
        o.member("content", [&] { append_content(out, *m.content); });
    else if (m.role == "assistant" && !m.tool_calls.empty())
        o.member("content", [&] { out += "null"; }); // the OpenAI API wants the member present
    o.optional_text("name", m.name);
    if (!m.tool_calls.empty())
        o.member("tool_calls", [&] { append_value(out, m.tool_calls); });
    o.optional_text("tool_call_id", m.tool_call_id);
    o.optional_text("reasoning_content", m.reasoning_content);
    o.optional_text("refusal", m.refusal);
    o.finish();
}

inline void append_value(std::string& out, const tool& t) {
    object_writer o(out);
    o.text("type", t.type);
    o.member("function", [&] {
        object_writer f(out);
        f.text("name", t.name);
        f.optional_text("description", t.description);
        f.object("parameters", t.parameters);
        f.boolean("strict", t.strict);
        f.finish();
    });
    o.finish();
}

inline void append_value(std::string& out, const tool_choice& c) {
    if (!c.function_name)
        return append_string(out, c.mode);
    object_writer o(out);
    o.text("type", "function");
    o.member("function", [&] {
        object_writer f(out);
        f.text("name", *c.function_name);
        f.finish();
    });
    o.finish();
}

inline void append_value(std::string& out, const stop_sequences& stop) {
    if (const auto* s = std::get_if<std::string>(&stop))
        return append_string(out, *s);
    append_array(out, std::get<std::vector<std::string>>(stop), [&](const std::string& s) { append_string(out, s); });
}

// `{"50256":-100}`: token ids as keys.
inline void append_value(std::string& out, const std::map<std::int64_t, int>& logit_bias) {
    object_writer bias(out);
    for (const auto& token_bias : logit_bias) { // a structured binding: clang 14 cannot capture it
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, token_bias.first).ptr;
        bias.member(std::string_view(digits, static_cast<std::size_t>(end - digits)),
                    [&] { append_integer(out, token_bias.second); });
    }
    bias.finish();
}

} // namespace request_writing

DGRID_DECL std::string request_json(const chat_request& r, std::optional<bool> stream) {
    using namespace request_writing;
    std::string out;
    std::size_t estimate = 256;
    for (const message& m : r.messages)
        if (const auto* s = m.content ? std::get_if<std::string>(&*m.content) : nullptr)
            estimate += s->size() + 64;
    out.reserve(estimate);

    object_writer o(out, &r.extra);
    for_each_member(r, [&](std::string_view name, const auto& value) {
        if (name == "stream")
            o.boolean(name, stream ? stream : r.stream); // the call decides
        else
            append_member<chat_request>(out, o, name, value);
    });
    if (stream.value_or(false) && !r.extra.contains("stream_options"))
        o.raw("stream_options", R"({"include_usage":true})");
    o.finish();
    return out;
}

DGRID_DECL void append_json_string(std::string& out, std::string_view s) { request_writing::append_string(out, s); }

DGRID_DECL void append_completion_json(std::string& out, const chat_completion& completion) {
    request_writing::append_value(out, completion);
}

} // namespace dgrid::detail

#endif
