#ifndef DGRID_IMPL_JSON_IPP
#define DGRID_IMPL_JSON_IPP

#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/detail/chunks/chunk_recycling.hpp>
#include <dgrid/detail/described/traits.hpp>
#include <dgrid/detail/json/completion_reader.ipp>
#include <dgrid/detail/json/lone_surrogates.hpp>
#include <dgrid/detail/json/request_writer.ipp>
#include <dgrid/detail/json/wire_members.hpp>
#include <dgrid/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dgrid {
namespace detail {
namespace json_io {

namespace json = boost::json;

//------------------------------------------------------------------------------
// Writing
//------------------------------------------------------------------------------

inline json::string_view sv(const std::string& s) noexcept { return {s.data(), s.size()}; }

// NaN and the infinities have no JSON form: Boost.JSON 1.81 would write the
// invalid tokens `NaN` and `Infinity`. null keeps the text valid; the client
// rejects such requests (error::invalid_request) before they are sent.
inline json::value number(double d) {
    if (!std::isfinite(d))
        return nullptr;
    return d;
}

// The JSON of a member's value; the API's described types and lists are
// declared here and defined below.
inline json::value to_value(const std::string& s) { return sv(s); }
inline json::value to_value(std::int64_t i) { return i; }
inline json::value to_value(double d) { return number(d); }
inline json::value to_value(bool b) { return b; }
inline json::value to_value(const json::object& o) { return o; } // copied into the default resource
inline json::value to_value(const json::value& v) { return v; }
inline json::value to_value(const message& m);
inline json::value to_value(const tool& t);
inline json::value to_value(const dgrid::tool_choice& c);
inline json::value to_value(const stop_sequences& s);
inline json::value to_value(const std::map<std::int64_t, int>& logit_bias);
template <class T>
json::value to_value(const std::vector<T>& items);
template <described_struct T>
json::value to_value(const T& x);

// An optional member, left out when absent.
template <class T>
void put(json::object& o, json::string_view key, const std::optional<T>& v) {
    if (v)
        o.emplace(key, to_value(*v));
}

// Extra members come last and replace typed members of the same name.
inline void merge(json::object& o, const json::object& extra) {
    for (const json::key_value_pair& kv : extra)
        o.insert_or_assign(kv.key(), kv.value());
}

inline json::value write_content(const message_content& content) {
    if (const auto* s = std::get_if<std::string>(&content))
        return json::value(sv(*s));
    const auto& parts = std::get<std::vector<content_part>>(content);
    json::array a;
    a.reserve(parts.size());
    for (const content_part& part : parts) {
        json::object& p = a.emplace_back(json::object()).get_object();
        if (const auto* t = std::get_if<text_part>(&part)) {
            p.emplace("type", "text");
            p.emplace("text", sv(t->text));
        } else {
            const auto& img = std::get<image_url_part>(part);
            p.emplace("type", "image_url");
            json::object& url = p.emplace("image_url", json::object()).first->value().get_object();
            url.emplace("url", sv(img.url));
            put(url, "detail", img.detail);
        }
    }
    return a;
}

inline json::object write(const message& m) {
    json::object o;
    o.emplace("role", sv(m.role));
    if (m.content)
        o.emplace("content", write_content(*m.content));
    else if (m.role == "assistant" && !m.tool_calls.empty())
        o.emplace("content", nullptr); // the OpenAI API wants the member present
    put(o, "name", m.name);
    if (!m.tool_calls.empty())
        o.emplace("tool_calls", to_value(m.tool_calls));
    put(o, "tool_call_id", m.tool_call_id);
    put(o, "reasoning_content", m.reasoning_content);
    put(o, "refusal", m.refusal);
    merge(o, m.extra);
    return o;
}

inline json::object write(const tool& t) {
    json::object o;
    o.emplace("type", sv(t.type));
    json::object& f = o.emplace("function", json::object()).first->value().get_object();
    f.emplace("name", sv(t.name));
    put(f, "description", t.description);
    put(f, "parameters", t.parameters);
    put(f, "strict", t.strict);
    return o;
}

inline json::value write(const dgrid::tool_choice& c) {
    if (!c.function_name)
        return json::value(sv(c.mode));
    json::object o;
    o.emplace("type", "function");
    o.emplace("function", json::object()).first->value().get_object().emplace("name", sv(*c.function_name));
    return o;
}

inline json::value to_value(const message& m) { return write(m); }
inline json::value to_value(const tool& t) { return write(t); }
inline json::value to_value(const dgrid::tool_choice& c) { return write(c); }

inline json::value to_value(const stop_sequences& stop) {
    if (const auto* s = std::get_if<std::string>(&stop))
        return sv(*s);
    return to_value(std::get<std::vector<std::string>>(stop));
}

// `{"50256": -100}`: token ids as keys.
inline json::value to_value(const std::map<std::int64_t, int>& logit_bias) {
    json::object o;
    for (const auto& [token, bias] : logit_bias)
        o.emplace(std::to_string(token), bias);
    return o;
}

template <class T>
json::value to_value(const std::vector<T>& items) {
    json::array a;
    a.reserve(items.size());
    for (const T& item : items)
        a.emplace_back(to_value(item));
    return a;
}

// A described type: its members as its JSON holds them (wire_members.hpp),
// then `extra` merged in.
template <described_struct T>
json::value to_value(const T& x) {
    json::object o;
    for_each_wire_member(x, [&](std::string_view name, const auto& value) {
        json::object* to = &o;
        if (const std::string_view parent = wire_parent<T>(name); !parent.empty()) {
            json::value& nested = o[parent];
            to = nested.is_object() ? &nested.get_object() : &nested.emplace_object();
        }
        to->emplace(name, to_value(value));
    });
    if constexpr (requires { x.extra; })
        merge(o, x.extra);
    return o;
}

//------------------------------------------------------------------------------
// Reading
//------------------------------------------------------------------------------

// Walks a JSON tree, remembers where it is, and reports the first member of
// the wrong type as "<path>: expected <kind>" in diag.message. Readers record
// failures here instead of returning them, which keeps them short; callers
// stop at the first failure.
class reader {
public:
    explicit reader(diagnostics& diag) noexcept : diag_(diag) {}

    bool failed() const noexcept { return failed_; }

    error_code result() const noexcept { return failed_ ? error_code(error::malformed_response) : error_code(); }

    // Records that the value at the current path is not a `expected`.
    void fail(std::string_view expected) {
        if (failed_)
            return;
        failed_ = true;
        std::string path;
        for (std::size_t i = 0; i < std::min(depth_, path_.size()); ++i) {
            const segment& s = path_[i];
            if (s.is_index) {
                path += '[';
                path += std::to_string(s.index);
                path += ']';
            } else {
                if (!path.empty())
                    path += '.';
                path += s.key;
            }
        }
        diag_.message = (path.empty() ? std::string("top level") : path) + ": expected " + std::string(expected);
    }

    // Enters a member or an array element for as long as the scope lives.
    class [[nodiscard]] scope {
    public:
        explicit scope(reader& r) noexcept : r_(r) {}
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;
        ~scope() { --r_.depth_; }

    private:
        reader& r_;
    };

    scope at(std::string_view key) noexcept { return push({key, 0, false}); }
    scope at(std::size_t index) noexcept { return push({{}, index, true}); }

    // Calls f(key, value) for each member of the object `v`, inside its path
    // scope; f returns false for a member it does not know, which then goes
    // to `extra` (or is ignored when there is none). null is an empty object.
    template <class F>
    void members(const json::value& v, json::object* extra, F&& f) {
        if (v.is_null())
            return;
        const json::object* o = v.if_object();
        if (!o)
            return fail("object");
        for (const json::key_value_pair& kv : *o) {
            const std::string_view key = kv.key();
            scope s = at(key);
            if (!f(key, kv.value()) && extra)
                extra->emplace(kv.key(), kv.value()); // deep copy into extra's resource
            if (failed_)
                return;
        }
    }

    // Reads an integer into `out`. Some gateways write counts as doubles
    // (12.0), so integral doubles are fine; strings are not.
    bool integer(const json::value& v, std::int64_t& out) {
        if (const std::int64_t* i = v.if_int64()) {
            out = *i;
            return true;
        }
        if (const std::uint64_t* u = v.if_uint64()) {
            if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                out = static_cast<std::int64_t>(*u);
                return true;
            }
        } else if (const double* d = v.if_double()) {
            if (*d != std::trunc(*d)) { // a fraction, or NaN
                fail("integer");
                return false;
            }
            if (*d >= -0x1p63 && *d < 0x1p63) {
                out = static_cast<std::int64_t>(*d);
                return true;
            }
        } else {
            fail("integer");
            return false;
        }
        fail("integer in range");
        return false;
    }

private:
    struct segment {
        std::string_view key;
        std::size_t index;
        bool is_index;
    };

    scope push(segment s) noexcept {
        // The typed tree is at most 8 levels deep; deeper segments (never
        // reached) would only be left out of the message.
        if (depth_ < path_.size())
            path_[depth_] = s;
        ++depth_;
        return scope(*this);
    }

    diagnostics& diag_;
    std::array<segment, 16> path_{};
    std::size_t depth_ = 0;
    bool failed_ = false;
};

// Scalars. null leaves `out` as it is (the default of its struct).

inline void read(reader& r, const json::value& v, std::string& out) {
    if (const json::string* s = v.if_string())
        out.assign(s->data(), s->size());
    else if (!v.is_null())
        r.fail("string");
}

inline void read(reader& r, const json::value& v, std::int64_t& out) {
    if (!v.is_null())
        r.integer(v, out);
}

inline void read(reader& r, const json::value& v, double& out) {
    switch (v.kind()) {
    case json::kind::null: break;
    case json::kind::int64: out = static_cast<double>(v.get_int64()); break;
    case json::kind::uint64: out = static_cast<double>(v.get_uint64()); break;
    case json::kind::double_: out = v.get_double(); break;
    default: r.fail("number");
    }
}

inline void read(reader& r, const json::value& v, bool& out) {
    if (const bool* b = v.if_bool())
        out = *b;
    else if (!v.is_null())
        r.fail("boolean");
}

inline void read(reader& r, const json::value& v, json::object& out) {
    if (const json::object* o = v.if_object())
        out = *o; // copy assignment keeps out's (the default) resource
    else if (!v.is_null())
        r.fail("object");
}

// Kept as received (`logprobs`); copy assignment keeps the default resource.
inline void read(reader&, const json::value& v, json::value& out) { out = v; }

// Typed objects, defined below; declared first so that the templates see them.
inline void read(reader& r, const json::value& v, message_content& out);
inline void read(reader& r, const json::value& v, message& out);
inline void read(reader& r, const json::value& v, tool& out);
inline void read(reader& r, const json::value& v, dgrid::tool_choice& out);
inline void read(reader& r, const json::value& v, stop_sequences& out);
inline void read(reader& r, const json::value& v, std::map<std::int64_t, int>& out);
template <described_struct T>
void read(reader& r, const json::value& v, T& out);

// null is an absent optional, anything else must be a T.
template <class T>
inline void read(reader& r, const json::value& v, std::optional<T>& out) {
    if (v.is_null())
        out.reset();
    else
        read(r, v, out.emplace());
}

// null is an empty list.
template <class T>
inline void read(reader& r, const json::value& v, std::vector<T>& out) {
    if (v.is_null())
        return out.clear();
    const json::array* a = v.if_array();
    if (!a)
        return r.fail("array");
    out.clear();
    out.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
        reader::scope s = r.at(i);
        read(r, (*a)[i], out.emplace_back());
        if (r.failed())
            return;
    }
}

inline void read_part(reader& r, const json::value& v, content_part& out) {
    const json::object* o = v.if_object();
    if (!o)
        return r.fail("object");
    const json::value* type = o->if_contains("type");
    const std::string_view kind = type && type->is_string() ? std::string_view(type->get_string()) : std::string_view();
    if (kind == "text") {
        auto& part = out.emplace<text_part>();
        r.members(v, nullptr, [&](std::string_view key, const json::value& val) {
            if (key == "text")
                read(r, val, part.text);
            return true; // no extra to keep other members in
        });
    } else if (kind == "image_url") {
        auto& part = out.emplace<image_url_part>();
        r.members(v, nullptr, [&](std::string_view key, const json::value& val) {
            if (key == "image_url")
                r.members(val, nullptr, [&](std::string_view k, const json::value& x) {
                    if (k == "url")
                        read(r, x, part.url);
                    else if (k == "detail")
                        read(r, x, part.detail);
                    return true;
                });
            return true;
        });
    } else {
        // Audio, files, refusals: no type holds them, and dropping them silently
        // would lose content.
        reader::scope s = r.at(std::string_view("type"));
        r.fail("\"text\" or \"image_url\"");
    }
}

inline void read(reader& r, const json::value& v, message_content& out) {
    if (const json::string* s = v.if_string()) {
        out.emplace<std::string>(s->data(), s->size());
    } else if (const json::array* a = v.if_array()) {
        auto& parts = out.emplace<std::vector<content_part>>();
        parts.reserve(a->size());
        for (std::size_t i = 0; i < a->size() && !r.failed(); ++i) {
            reader::scope s = r.at(i);
            read_part(r, (*a)[i], parts.emplace_back());
        }
    } else {
        r.fail("string or array");
    }
}

inline void read(reader& r, const json::value& v, message& out) {
    const json::string* reasoning = nullptr;
    r.members(v, &out.extra, [&](std::string_view key, const json::value& val) {
        if (key == "role")
            read(r, val, out.role);
        else if (key == "content")
            read(r, val, out.content);
        else if (key == "name")
            read(r, val, out.name);
        else if (key == "tool_calls")
            read(r, val, out.tool_calls);
        else if (key == "tool_call_id")
            read(r, val, out.tool_call_id);
        else if (key == "reasoning_content")
            read(r, val, out.reasoning_content);
        else if (key == "refusal")
            read(r, val, out.refusal);
        else if (key == "reasoning" && (val.is_string() || val.is_null()))
            reasoning = val.if_string(); // decided below: the members come in any order
        else
            return false;
        return true;
    });
    if (!reasoning || r.failed())
        return;
    // docs/wire.md, "Reasoning under two names": `reasoning` is an alias when
    // `reasoning_content` is absent.
    if (!out.reasoning_content)
        out.reasoning_content.emplace(reasoning->data(), reasoning->size());
    else
        out.extra.emplace("reasoning", *reasoning);
}

inline void read(reader& r, const json::value& v, tool& out) {
    r.members(v, nullptr, [&](std::string_view key, const json::value& val) {
        if (key == "type")
            read(r, val, out.type);
        else if (key == "function")
            r.members(val, nullptr, [&](std::string_view k, const json::value& x) {
                if (k == "name")
                    read(r, x, out.name);
                else if (k == "description")
                    read(r, x, out.description);
                else if (k == "parameters")
                    read(r, x, out.parameters);
                else if (k == "strict")
                    read(r, x, out.strict);
                return true;
            });
        return true;
    });
}

inline void read(reader& r, const json::value& v, dgrid::tool_choice& out) {
    if (const json::string* s = v.if_string()) {
        out.mode.assign(s->data(), s->size());
        return;
    }
    if (!v.is_object())
        return r.fail("string or object");
    out.mode = "function";
    r.members(v, nullptr, [&](std::string_view key, const json::value& val) {
        if (key == "type")
            read(r, val, out.mode);
        else if (key == "function")
            r.members(val, nullptr, [&](std::string_view k, const json::value& x) {
                if (k == "name")
                    read(r, x, out.function_name);
                return true;
            });
        return true;
    });
}

inline void read(reader& r, const json::value& v, stop_sequences& out) {
    if (const json::string* s = v.if_string())
        out.emplace<std::string>(s->data(), s->size());
    else if (v.is_array())
        read(r, v, out.emplace<std::vector<std::string>>());
    else
        r.fail("string or array");
}

// `{"50256": -100}`: keys are token ids in decimal, values integers.
inline void read(reader& r, const json::value& v, std::map<std::int64_t, int>& out) {
    r.members(v, nullptr, [&](std::string_view key, const json::value& val) {
        std::int64_t token = 0;
        const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), token);
        if (key.empty() || ec != std::errc() || end != key.data() + key.size()) {
            r.fail("integer token id as key");
            return true;
        }
        std::int64_t bias = 0;
        if (val.is_null() || !r.integer(val, bias))
            return true;
        if (bias < std::numeric_limits<int>::min() || bias > std::numeric_limits<int>::max())
            r.fail("integer in range");
        else
            out[token] = static_cast<int>(bias);
        return true;
    });
}

// A described type: each member under its own name, unknown ones into
// `extra` (or dropped when the type has none).
template <described_struct T>
void read(reader& r, const json::value& v, T& out) {
    json::object* extra = nullptr;
    if constexpr (requires { out.extra; })
        extra = &out.extra;
    r.members(v, extra, [&](std::string_view key, const json::value& val) {
        bool known = false;
        boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
            if (!known && key == d.name && key != "extra") {
                known = true;
                read(r, val, out.*d.pointer);
            }
        });
        return known;
    });
}

// Resets `out`, then reads it from `v`, which must be an object.
template <class T>
error_code read_top_level(const json::value& v, T& out, diagnostics& diag) {
    out = T{};
    reader r(diag);
    if (!v.is_object())
        r.fail("object");
    else
        read(r, v, out);
    return r.result();
}

//------------------------------------------------------------------------------
// Error bodies
//------------------------------------------------------------------------------

inline constexpr std::size_t max_body_excerpt = 512;

// The start of a body for humans: cut at a UTF-8 character boundary, control
// characters (which could garble a terminal or a log line) made spaces.
inline std::string body_excerpt(std::string_view body) {
    std::size_t n = std::min(body.size(), max_body_excerpt);
    const auto continuation = [&](std::size_t i) { return (static_cast<unsigned char>(body[i]) & 0xC0) == 0x80; };
    // A UTF-8 character has at most 3 continuation bytes; more means binary.
    for (int back = 0; back < 3 && n < body.size() && n > 0 && continuation(n); ++back)
        --n;
    std::string out(body.substr(0, n));
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7F)
            c = ' ';
    }
    return out;
}

inline const json::string* string_member(const json::object& o, json::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_string() : nullptr;
}

// Calls `f` with the object an error body holds, or null when it holds none
// (not JSON, or not an object); the tree lives for the call only.
template <class F>
auto with_body_object(std::string_view body, F f) {
    unsigned char buffer[2048];
    json::monotonic_resource arena(buffer);
    error_code ec;
    const json::value v = parse_json_tree(body, &arena, lone_surrogate_rule::replace, ec);
    return f(ec ? nullptr : v.if_object());
}

// Returns whether `o` has one of the known error shapes with a message.
inline bool read_error_object(const json::object& o, diagnostics& diag) {
    const json::value* error = o.if_contains("error");
    if (const json::object* e = error ? error->if_object() : nullptr) {
        if (const json::string* s = string_member(*e, "message"))
            diag.message.assign(s->data(), s->size());
        if (const json::string* s = string_member(*e, "type"))
            diag.type.assign(s->data(), s->size());
        if (const json::string* s = string_member(*e, "param"))
            diag.param.emplace(s->data(), s->size());
        if (const json::value* code = e->if_contains("code"))
            diag.code = *code; // copy assignment keeps diag.code's resource
        return !diag.message.empty();
    }
    // Simpler shapes from proxies: {"error":"..."}, {"message":"..."},
    // FastAPI's {"detail":"..."}, and Express's {"error":"TypeError",
    // "message":"...","status":500}, whose `error` is the type.
    const json::string* s = error ? error->if_string() : nullptr;
    if (const json::string* m = string_member(o, "message"); s && m) {
        diag.type.assign(s->data(), s->size());
        s = m;
    }
    if (!s)
        s = string_member(o, "message");
    if (!s)
        s = string_member(o, "detail");
    if (!s)
        return false;
    diag.message.assign(s->data(), s->size());
    return !diag.message.empty();
}

} // namespace json_io

DGRID_DECL error_code read_error_member(const boost::json::object& top, diagnostics& diag) {
    const boost::json::value* error = top.if_contains("error");
    if (!error || error->is_null())
        return {};
    if (!json_io::read_error_object(top, diag)) {
        diag.message = "the gateway answered with an error object";
        diag.body_excerpt = json_io::body_excerpt(boost::json::serialize(*error));
    }
    return dgrid::error_from_error_object(diag.code, diag.type);
}

DGRID_DECL error_code read_error_in_body(std::string_view body, diagnostics& diag) {
    return json_io::with_body_object(body, [&](const boost::json::object* o) {
        return o && !o->contains("choices") ? read_error_member(*o, diag) : error_code();
    });
}

namespace json_io {

//------------------------------------------------------------------------------
// Stream chunks
//------------------------------------------------------------------------------

// A chunk is read into the chunk of the previous event: `recycle`
// (detail/chunks/chunk_recycling.hpp) first empties every member while keeping its
// buffers, then the readers below fill in only what is present, assigning
// into existing strings.

// A string member of a chunk; null leaves it absent.
inline void read(reader& r, string_pool& pool, const json::value& v, std::optional<std::string>& out) {
    if (const json::string* s = v.if_string())
        pool.assign(out, *s);
    else if (!v.is_null())
        r.fail("string");
}

// `content`: a string, or (some upstreams) an array of text parts, joined.
inline void read_delta_content(reader& r, string_pool& pool, const json::value& v, std::optional<std::string>& out) {
    const json::array* a = v.if_array();
    if (!a)
        return v.is_string() || v.is_null() ? read(r, pool, v, out) : r.fail("string or array");
    std::string& text = pool.engage(out, 0);
    for (std::size_t i = 0; i < a->size() && !r.failed(); ++i) {
        reader::scope s = r.at(i);
        const json::object* part = (*a)[i].if_object();
        if (!part) {
            r.fail("object");
            break;
        }
        const json::string* type = string_member(*part, "type");
        if (!type || *type != "text") {
            reader::scope t = r.at(std::string_view("type"));
            r.fail("\"text\"");
            break;
        }
        r.members((*a)[i], nullptr, [&](std::string_view key, const json::value& val) {
            if (key == "text") {
                if (const json::string* piece = val.if_string())
                    text.append(piece->data(), piece->size());
                else if (!val.is_null())
                    r.fail("string");
            }
            return true;
        });
    }
}

// The other members of a chunk are read as anywhere else.
template <class T>
void read(reader& r, string_pool&, const json::value& v, T& out) {
    read(r, v, out);
}

// A list of choices or tool-call fragments; null is an empty list.
template <described_struct T>
void read(reader& r, string_pool& pool, const json::value& v, std::vector<T>& out) {
    const json::array* a = v.if_array();
    if (!a) {
        vacate(pool, out); // docs/wire.md, "Choices null or missing"
        if (!v.is_null())
            r.fail("array");
        return;
    }
    out.resize(a->size()); // recycled: the elements are new or emptied
    for (std::size_t i = 0; i < a->size() && !r.failed(); ++i) {
        reader::scope s = r.at(i);
        out[i].index = static_cast<std::int64_t>(i); // when `index` is missing
        read(r, pool, (*a)[i], out[i]);
    }
}

// Reads the member `key` of a `T` when `T` has a member of that name whose
// JSON is in the object `parent` (wire_parent); false when it has none.
template <described_struct T>
bool read_typed_member(reader& r, string_pool& pool, std::string_view key, const json::value& v, T& out,
                       std::string_view parent = {}) {
    bool known = false;
    boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
        constexpr std::string_view name = decltype(d)::name;
        if (!known && name != "extra" && wire_parent<T>(name) == parent && key == name) {
            known = true;
            read(r, pool, v, out.*d.pointer);
        }
    });
    return known;
}

// A choice, and any described part of a chunk without wire-only members.
template <described_struct T>
void read(reader& r, string_pool& pool, const json::value& v, T& out) {
    r.members(v, &out.extra,
              [&](std::string_view key, const json::value& val) { return read_typed_member(r, pool, key, val, out); });
}

// A tool call fragment: `name` and `arguments` are in `function`, which has
// no `extra`.
inline void read(reader& r, string_pool& pool, const json::value& v, tool_call_delta& out) {
    r.members(v, &out.extra, [&](std::string_view key, const json::value& val) {
        if (key != "function")
            return read_typed_member(r, pool, key, val, out);
        r.members(val, nullptr, [&](std::string_view k, const json::value& x) {
            return read_typed_member(r, pool, k, x, out, "function");
        });
        return true;
    });
}

// A delta: `content` may be parts, and `reasoning` names `reasoning_content`.
inline void read(reader& r, string_pool& pool, const json::value& v, chunk_delta& out) {
    const json::string* reasoning = nullptr;
    r.members(v, &out.extra, [&](std::string_view key, const json::value& val) {
        if (key == "content") {
            read_delta_content(r, pool, val, out.content);
        } else if (key == "reasoning") {
            // Decided below: the members come in any order.
            if (!val.is_string() && !val.is_null())
                r.fail("string");
            reasoning = val.if_string();
        } else {
            return read_typed_member(r, pool, key, val, out);
        }
        return true;
    });
    // docs/wire.md, "Reasoning under two names": `reasoning` stands for an
    // absent or empty `reasoning_content`.
    if (reasoning && !r.failed() && (!out.reasoning_content || out.reasoning_content->empty()))
        pool.assign(out.reasoning_content, *reasoning);
}

inline bool is_chunk_member(std::string_view key) noexcept {
    bool known = key == "error";
    boost::mp11::mp_for_each<described_members<chat_chunk>>(
        [&](auto d) { known = known || (key == d.name && key != "extra"); });
    return known;
}

// Assigns `src` to `dst` without allocating when both are strings or `src` is
// a scalar: members such as `obfuscation` come in every chunk.
inline void assign_keeping(json::value& dst, const json::value& src) {
    switch (src.kind()) {
    case json::kind::null: dst = nullptr; break;
    case json::kind::bool_: dst = src.get_bool(); break;
    case json::kind::int64: dst = src.get_int64(); break;
    case json::kind::uint64: dst = src.get_uint64(); break;
    case json::kind::double_: dst = src.get_double(); break;
    case json::kind::string:
        if (json::string* s = dst.if_string()) {
            string_pool::grow(*s, src.get_string().size());
            s->assign(src.get_string());
        } else
            dst = src;
        break;
    default: dst = src; // copied into dst's (the default) resource
    }
}

inline void read(reader& r, string_pool& pool, const json::value& v, chat_chunk& out) {
    const json::object& o = v.get_object();
    std::size_t unknown = 0;
    r.members(v, nullptr, [&](std::string_view key, const json::value& val) {
        if (read_typed_member(r, pool, key, val, out) || key == "error") {
            // read_chunk looks at `error`, even when another member is malformed.
        } else {
            // Unknown members (docs/wire.md, "Unknown members kept in extra")
            // overwrite those of the previous chunk in place when the keys repeat.
            ++unknown;
            if (json::value* old = out.extra.if_contains(key))
                assign_keeping(*old, val);
            else
                out.extra.emplace(key, val);
        }
        return true;
    });
    if (!o.contains("choices"))
        out.choices.clear(); // missing is no choices (docs/wire.md, "Choices null or missing")
    if (out.extra.size() != unknown) {
        // Members of the previous chunk that this one does not have: rare, so
        // rebuilt rather than erased one by one.
        out.extra.clear();
        for (const json::key_value_pair& kv : o)
            if (!is_chunk_member(kv.key()))
                out.extra.emplace(kv.key(), kv.value());
    }
}

} // namespace json_io

DGRID_DECL error_code read_chunk(const boost::json::value& v, chat_chunk& out, string_pool& pool, diagnostics& diag) {
    namespace json = boost::json;
    recycle(pool, out);
    json_io::reader r(diag);
    const json::object* o = v.if_object();
    if (!o) {
        out.choices.clear();
        out.extra.clear();
        r.fail("object");
        return r.result();
    }
    json_io::read(r, pool, v, out);
    const json::value* error = o->if_contains("error");
    if (!error || error->is_null())
        return r.result();
    // docs/wire.md, "Error objects inside a stream": an error after the first
    // token comes as a chunk.
    diag.message.clear();
    if (!json_io::read_error_object(*o, diag)) {
        diag.message = "the gateway reported an error in the stream";
        diag.body_excerpt = json_io::body_excerpt(json::serialize(*error));
    }
    return dgrid::error::stream_error;
}

} // namespace detail

DGRID_DECL boost::json::value to_json(const message& m) { return detail::json_io::write(m); }

DGRID_DECL boost::json::value to_json(const chat_request& r) { return detail::json_io::to_value(r); }

DGRID_DECL boost::json::value to_json(const chat_completion& c) { return detail::json_io::to_value(c); }

DGRID_DECL boost::json::value to_json(const chat_chunk& c) {
    boost::json::value v = detail::json_io::to_value(c);
    if (c.object.empty())
        v.get_object()["object"] = "chat.completion.chunk";
    return v;
}

DGRID_DECL boost::json::value to_json(const model_list& l) { return detail::json_io::to_value(l); }

DGRID_DECL error_code from_json(const boost::json::value& v, message& out, diagnostics& diag) {
    return detail::json_io::read_top_level(v, out, diag);
}

DGRID_DECL error_code from_json(const boost::json::value& v, chat_request& out, diagnostics& diag) {
    return detail::json_io::read_top_level(v, out, diag);
}

DGRID_DECL error_code from_json(const boost::json::value& v, chat_completion& out, diagnostics& diag) {
    return detail::json_io::read_top_level(v, out, diag);
}

DGRID_DECL error_code parse_json(std::string_view text, chat_completion& out, diagnostics& diag) {
    out = chat_completion{};
    if (detail::completion_reader().read(text, out))
        return {};
    return parse_json<chat_completion>(text, out, diag); // which resets `out` again
}

DGRID_DECL error_code from_json(const boost::json::value& v, model_list& out, diagnostics& diag) {
    return detail::json_io::read_top_level(v, out, diag);
}

DGRID_DECL error_code from_json(const boost::json::value& v, chat_chunk& out, diagnostics& diag) {
    out = chat_chunk{};
    detail::string_pool pool;
    return detail::read_chunk(v, out, pool, diag);
}

DGRID_DECL void read_error_body(std::string_view body, diagnostics& diag) {
    detail::json_io::with_body_object(body, [&](const boost::json::object* o) {
        if (!o || !detail::json_io::read_error_object(*o, diag))
            diag.body_excerpt = detail::json_io::body_excerpt(body);
    });
}

} // namespace dgrid

#endif
