// Lone UTF-16 surrogates in JSON strings: servers that slice a reply every N
// UTF-16 code units split an emoji's two `\u` escapes across events. The
// readers take them; a stream joins the halves again, and a half that never
// finds its partner is U+FFFD.
#include <dgrid/chat_accumulator.hpp>
#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/detail/json/json_text.hpp>
#include <dgrid/detail/json/lone_surrogates.hpp>
#include <dgrid/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;
using namespace dgrid;
using detail::lone_surrogate_rule;

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view grinning = "\xF0\x9F\x98\x80"; // U+1F600, \ud83d\ude00

bool valid_utf8(std::string_view s) {
    for (const char* p = s.data(); p != s.data() + s.size();) {
        if (static_cast<unsigned char>(*p) < 0x80) {
            ++p;
            continue;
        }
        const std::size_t n = detail::json_text::utf8_sequence_length(p, s.data() + s.size());
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

// `text` (UTF-8) as UTF-16 code units.
std::vector<std::uint32_t> utf16(std::string_view text) {
    std::vector<std::uint32_t> units;
    for (std::size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        const std::size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        std::uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
        for (std::size_t k = 1; k < n; ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        if (cp >= 0x10000) {
            units.push_back(0xD800 + ((cp - 0x10000) >> 10));
            units.push_back(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            units.push_back(cp);
        }
        i += n;
    }
    return units;
}

// Code units as the body of a JSON string: ASCII as it is, the rest escaped.
std::string escaped(const std::vector<std::uint32_t>& units, std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t i = from; i < to; ++i) {
        if (units[i] >= 0x20 && units[i] < 0x80 && units[i] != '"' && units[i] != '\\') {
            out.push_back(static_cast<char>(units[i]));
        } else {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(units[i]));
            out += buffer;
        }
    }
    return out;
}

// A stream's chunk with one delta member (`content`, `reasoning_content`,
// or tool call 0's `arguments`) holding `value` (JSON string body). `tree`:
// with a non-null usage, which only the decoder's tree path reads.
std::string chunk_event(std::string_view member, std::string_view value, bool tree) {
    std::string delta = member == "arguments"
                            ? R"({"tool_calls":[{"index":0,"function":{"arguments":")" + std::string(value) + "\"}}]}"
                            : "{\"" + std::string(member) + "\":\"" + std::string(value) + "\"}";
    return R"({"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":)" + delta +
           R"(,"finish_reason":null}])" + (tree ? R"(,"usage":{"total_tokens":1}})" : "}");
}

std::string finish_event() {
    return R"({"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{},)"
           R"("finish_reason":"stop"}]})";
}

// The member of one chunk (its first choice) that `chunk_event` filled.
std::string_view member_of(const chat_chunk& c, std::string_view member) {
    if (c.choices.empty())
        return {};
    const chunk_delta& d = c.choices.front().delta;
    const std::optional<std::string>* text = member == "content"             ? &d.content
                                             : member == "reasoning_content" ? &d.reasoning_content
                                             : d.tool_calls.empty()          ? nullptr
                                                                             : &d.tool_calls.front().arguments;
    return text && *text ? std::string_view(**text) : std::string_view();
}

struct streamed {
    std::vector<std::string> pieces; // the member in each chunk
    chat_completion completion;
};

// Decodes the events as chat_stream does: one decoder, one reused chunk, the
// accumulator, and what waits at the end flushed into it.
streamed stream(const std::vector<std::string>& events, std::string_view member) {
    detail::chunk_decoder decoder;
    chat_chunk chunk;
    chat_accumulator accumulator;
    streamed out;
    for (const std::string& e : events) {
        diagnostics diag;
        BOOST_TEST_REQUIRE(!decoder.decode(e, chunk, diag), diag.message << " in " << e);
        accumulator.add(chunk);
        out.pieces.emplace_back(member_of(chunk, member));
    }
    chat_chunk rest;
    if (decoder.flush_lone_surrogates(rest))
        accumulator.add(rest);
    out.completion = accumulator.take();
    return out;
}

std::string completed(const chat_completion& c, std::string_view member) {
    if (c.choices.empty())
        return {};
    const message& m = c.choices.front().message;
    if (member == "content")
        return m.content ? std::get<std::string>(*m.content) : std::string();
    if (member == "reasoning_content")
        return m.reasoning_content.value_or("");
    return m.tool_calls.empty() ? std::string() : m.tool_calls.front().function.arguments;
}

} // namespace

BOOST_AUTO_TEST_SUITE(lone_surrogates)

BOOST_AUTO_TEST_CASE(rewrite_replaces_each_lone_escape) {
    std::string out;
    // Keys and values; an escaped backslash before `u` is no escape; a pair stays.
    BOOST_TEST(detail::rewrite_lone_surrogates(R"({"k\ud800":"x\udc00y","b":"\\ud800","c":"\ud83d\ude00\ud83d"})",
                                               lone_surrogate_rule::replace, out));
    BOOST_TEST(out == R"({"k\ufffd":"x\ufffdy","b":"\\ud800","c":"\ud83d\ude00\ufffd"})");
    // A high surrogate before another high one, and before a plain escape.
    BOOST_TEST(
        detail::rewrite_lone_surrogates(R"(["\ud83d\ud83d\ude00","\ud83d\u0041"])", lone_surrogate_rule::replace, out));
    BOOST_TEST(out == R"(["\ufffd\ud83d\ude00","\ufffd\u0041"])");
    // Nothing to rewrite, invalid UTF-8, a string cut short: false.
    BOOST_TEST(!detail::rewrite_lone_surrogates(R"({"a":"\ud83d\ude00 \u00e9"})", lone_surrogate_rule::replace, out));
    BOOST_TEST(!detail::rewrite_lone_surrogates("[\"\\ud800\xC3\x28\"]", lone_surrogate_rule::replace, out));
    BOOST_TEST(!detail::rewrite_lone_surrogates(R"(["\ud800)", lone_surrogate_rule::replace, out));
}

BOOST_AUTO_TEST_CASE(rewrite_keeps_them_only_in_a_chunks_free_text) {
    std::string out;
    const std::string text =
        R"({"choices":[{"delta":{"content":"\ud83d","reasoning":"\ud83d","reasoning_content":"\ude00",)"
        R"("role":"\ud83d","tool_calls":[{"function":{"arguments":"\ud83d","name":"\ud83d"}}]}}],)"
        R"("x":{"content":"\ud83d"}})";
    BOOST_TEST(detail::rewrite_lone_surrogates(text, lone_surrogate_rule::keep_in_chunk_free_text, out));
    const std::string high = "\xED\xA0\xBD"; // \ud83d in its three-byte form
    const std::string low = "\xED\xB8\x80";  // \ude00
    BOOST_TEST(out == R"({"choices":[{"delta":{"content":")" + high + R"(","reasoning":")" + high +
                          R"(","reasoning_content":")" + low +
                          R"(","role":"\ufffd","tool_calls":[{"function":{"arguments":")" + high +
                          R"(","name":"\ufffd"}}]}}],"x":{"content":"\ufffd"}})");
}

BOOST_AUTO_TEST_CASE(a_completion_reads_a_lone_surrogate_as_the_replacement_character) {
    // Each member once through the one-pass reader, once through the tree
    // (`reasoning` makes the reader give up): both read the same.
    for (const std::string tree_member : {"", R"("reasoning":"r",)"}) {
        const std::string text =
            R"({"id":"\ud83d","future":{"note":"\ude00"},"choices":[{"index":0,"message":{"role":"assistant",)" +
            tree_member +
            R"("content":"a\ud83db \ud83d\ude00","reasoning_content":"\ud83d","refusal":"\ude00x",)"
            R"("tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{\ud83d}"}}]},)"
            R"("finish_reason":"stop"}]})";
        BOOST_TEST_CONTEXT(text) {
            chat_completion c;
            diagnostics diag;
            BOOST_TEST_REQUIRE(!parse_json(text, c, diag), diag.message);
            const message& m = c.choices.front().message;
            BOOST_TEST(std::get<std::string>(*m.content) ==
                       "a" + std::string(replacement) + "b " + std::string(grinning));
            BOOST_TEST(*m.reasoning_content == replacement);
            BOOST_TEST(m.tool_calls.front().function.arguments == "{" + std::string(replacement) + "}");
            BOOST_TEST(m.refusal.value_or("") == std::string(replacement) + "x");
            BOOST_TEST(c.id == replacement);
            BOOST_TEST(c.extra.at("future").at("note").as_string() == replacement);
        }
    }
}

BOOST_AUTO_TEST_CASE(an_error_body_with_a_lone_surrogate_keeps_its_message) {
    diagnostics diag;
    read_error_body(R"({"error":{"message":"bad \ud83d","type":"t"}})", diag);
    BOOST_TEST(diag.message == "bad " + std::string(replacement));
}

// A reply sliced every N UTF-16 code units, for every N up to 6, in each free
// text member, read by the one-pass reader, by the tree, and by both in turn:
// every chunk's piece is valid UTF-8, and the pieces join to the reply.
BOOST_AUTO_TEST_CASE(a_pair_split_across_events_is_joined) {
    const std::string reply =
        "h\xC3\xA9llo " + std::string(grinning) + std::string(grinning) + " w\xC3\xB6rld \xF0\x9F\x8E\x89!";
    const std::vector<std::uint32_t> units = utf16(reply);
    for (std::string_view member : {"content", "reasoning_content", "arguments"}) {
        for (int path = 0; path < 3; ++path) {
            for (std::size_t n = 1; n <= 6; ++n) {
                BOOST_TEST_CONTEXT(member << ", path " << path << ", every " << n << " units") {
                    std::vector<std::string> events;
                    for (std::size_t i = 0; i < units.size(); i += n) {
                        const bool tree = path == 1 || (path == 2 && events.size() % 2 == 1);
                        events.push_back(chunk_event(member, escaped(units, i, std::min(i + n, units.size())), tree));
                    }
                    events.push_back(finish_event());
                    const streamed s = stream(events, member);
                    std::string joined;
                    for (const std::string& piece : s.pieces) {
                        BOOST_TEST(valid_utf8(piece));
                        joined += piece;
                    }
                    BOOST_TEST(joined == reply);
                    BOOST_TEST(completed(s.completion, member) == reply);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_half_that_finds_no_partner_is_the_replacement_character) {
    const std::string r(replacement);
    // The next piece does not start with the low half.
    streamed s = stream({chunk_event("content", "a\\ud83d", false), chunk_event("content", "b", false)}, "content");
    BOOST_TEST(s.pieces == (std::vector<std::string>{"a", r + "b"}), boost::test_tools::per_element());
    // A low half with no high one before it, and a high one in the middle.
    s = stream({chunk_event("content", "\\ude00a\\ud83db", true)}, "content");
    BOOST_TEST(s.pieces.front() == r + "a" + r + "b");
    // The choice finishes: its finish chunk carries U+FFFD.
    s = stream({chunk_event("arguments", "{\\ud83d", false), finish_event()}, "arguments");
    BOOST_TEST(s.pieces.back() == r);
    BOOST_TEST(completed(s.completion, "arguments") == "{" + r);
    // The stream ends first: the completion ends with U+FFFD.
    s = stream({chunk_event("reasoning_content", "x\\ud83d", false)}, "reasoning_content");
    BOOST_TEST(s.pieces.front() == "x");
    BOOST_TEST(completed(s.completion, "reasoning_content") == "x" + r);
    // Halves of other members or choices do not join.
    s = stream({chunk_event("content", "\\ud83d", false), chunk_event("reasoning_content", "\\ude00", false)},
               "reasoning_content");
    BOOST_TEST(s.pieces.back() == r);
    BOOST_TEST(completed(s.completion, "content") == r);
}

BOOST_AUTO_TEST_CASE(a_chunks_other_members_read_a_lone_surrogate_as_the_replacement_character) {
    detail::chunk_decoder decoder;
    chat_chunk chunk;
    diagnostics diag;
    const std::string event = R"({"id":"\ud83d","obfuscation":"\ude00","choices":[{"index":0,"delta":{"role":"\ud83d",)"
                              R"("tool_calls":[{"index":0,"id":"\ud83d","function":{"name":"\ud83d"}}]}}]})";
    BOOST_TEST_REQUIRE(!decoder.decode(event, chunk, diag), diag.message);
    BOOST_TEST(chunk.id == replacement);
    BOOST_TEST(chunk.extra.at("obfuscation").as_string() == replacement);
    BOOST_TEST(*chunk.choices.front().delta.role == replacement);
    BOOST_TEST(*chunk.choices.front().delta.tool_calls.front().id == replacement);
    BOOST_TEST(*chunk.choices.front().delta.tool_calls.front().name == replacement);
}

BOOST_AUTO_TEST_SUITE_END()
