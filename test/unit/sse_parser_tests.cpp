// The server-sent events reader: sans-io, so each input is fed whole, one byte
// at a time and split in two at every position, and all of them must agree.
#include <dgrid/detail/sse/sse_parser.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using dgrid::detail::sse_parser;
using namespace std::literals;

namespace {

constexpr std::size_t default_max = 32u << 20;

const dgrid::error_code too_large = dgrid::error::event_too_large;

struct event {
    std::string type;
    std::string data;
    std::string id;
    bool operator==(const event&) const = default;
};

// Everything observable after feeding a whole stream.
struct outcome {
    std::vector<event> events;
    dgrid::error_code ec;
    std::size_t comments = 0;
    long long retry_ms = -1;
    bool partial = false;
    std::string violation; // how the parser broke its contract, if it did
    bool operator==(const outcome&) const = default;
};

std::string escape(std::string_view s) {
    std::string out;
    for (unsigned char c : s.substr(0, 120)) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c < 0x20 || c >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        } else
            out += static_cast<char>(c);
    }
    if (s.size() > 120)
        out += "...(" + std::to_string(s.size()) + " bytes)";
    return out;
}

std::string describe(const outcome& o) {
    std::string out = "{";
    for (const auto& e : o.events)
        out += "[" + escape(e.type) + "|" + escape(e.data) + "|" + escape(e.id) + "]";
    out += " ec=" + o.ec.message() + " comments=" + std::to_string(o.comments) +
           " retry=" + std::to_string(o.retry_ms) + " partial=" + (o.partial ? "1" : "0");
    if (!o.violation.empty())
        out += " VIOLATION: " + o.violation;
    return out + "}";
}

// Feeds the pieces in order the way a reader of a socket would: parse, take the
// event if one completed, feed the rest of the piece again. The bytes a call
// consumed are overwritten after it, as a reused read buffer would be: the
// parser may keep no view of them.
outcome feed(sse_parser& parser, const std::vector<std::string_view>& pieces) {
    outcome out;
    for (auto original : pieces) {
        std::string bytes(original);
        std::string_view piece = bytes;
        do {
            const std::size_t n = parser.parse(piece, out.ec);
            if (n > piece.size()) {
                out.violation = "consumed more than given";
                return out;
            }
            if (out.ec) {
                if (parser.has_event())
                    out.violation = "an event together with an error";
                dgrid::error_code again;
                if (parser.parse("data: x\n\n", again) != 0 || again != out.ec)
                    out.violation = "the error is not sticky";
                out.comments = parser.comments();
                out.retry_ms = parser.retry_ms();
                return out;
            }
            if (parser.has_event()) {
                if (n == 0) {
                    out.violation = "an event from no bytes";
                    return out;
                }
                auto e = parser.event();
                out.events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
            } else if (n != piece.size()) {
                out.violation = "stopped before the end without an event";
                return out;
            }
            std::fill_n(bytes.begin() + (piece.data() - bytes.data()), n, '\x7f');
            piece.remove_prefix(n);
        } while (!piece.empty());
    }
    out.comments = parser.comments();
    out.retry_ms = parser.retry_ms();
    out.partial = parser.has_partial_event();
    return out;
}

outcome feed_whole(std::string_view input, std::size_t max = default_max) {
    sse_parser parser(max);
    return feed(parser, {input});
}

// Feeds `input` whole, byte by byte and split at every position; checks that
// all agree and returns the outcome.
outcome parse_all_ways(std::string_view input, std::size_t max = default_max) {
    const outcome whole = feed_whole(input, max);
    BOOST_TEST(whole.violation.empty(), escape(input) << ": " << whole.violation);

    std::size_t mismatches = 0;
    std::string first;
    auto compare = [&](const outcome& got, const std::string& how) {
        if (got == whole)
            return;
        if (mismatches++ == 0)
            first = how + ": " + describe(got);
    };

    {
        std::vector<std::string_view> bytes;
        for (std::size_t i = 0; i < input.size(); ++i)
            bytes.push_back(input.substr(i, 1));
        sse_parser parser(max);
        compare(feed(parser, bytes), "byte by byte");
    }
    for (std::size_t i = 0; i <= input.size(); ++i) {
        sse_parser parser(max);
        compare(feed(parser, {input.substr(0, i), input.substr(i)}), "split at " + std::to_string(i));
    }
    BOOST_TEST(mismatches == 0u, escape(input) << ": whole gives " << describe(whole) << ", " << mismatches
                                               << " other feedings differ, first " << first);
    return whole;
}

std::vector<event> events_of(std::string_view input, std::size_t max = default_max) {
    auto o = parse_all_ways(input, max);
    BOOST_TEST(!o.ec, escape(input) << ": " << o.ec.message());
    return o.events;
}

event msg(std::string data, std::string id = "") { return {"message", std::move(data), std::move(id)}; }

std::ostream& operator<<(std::ostream& os, const event& e) {
    return os << "[" << escape(e.type) << "|" << escape(e.data) << "|" << escape(e.id) << "]";
}

std::ostream& operator<<(std::ostream& os, const outcome& o) { return os << describe(o); }

// A literal reading of the WHATWG algorithm, slow and obviously right, to
// compare with on generated inputs.
outcome reference(std::string_view in) {
    outcome out;
    if (in.starts_with("\xEF\xBB\xBF"))
        in.remove_prefix(3);
    std::string data, type, id;
    std::string line;
    auto take = [&](std::string_view l) {
        if (l.empty()) {
            if (data.empty()) {
                type.clear();
                return;
            }
            data.pop_back();
            out.events.push_back({type.empty() ? "message" : type, data, id});
            data.clear();
            type.clear();
            return;
        }
        if (l[0] == ':') {
            ++out.comments;
            return;
        }
        auto colon = l.find(':');
        std::string_view name = l.substr(0, colon);
        std::string_view value = colon == l.npos ? ""sv : l.substr(colon + 1);
        if (value.starts_with(' '))
            value.remove_prefix(1);
        if (name == "data") {
            data += value;
            data += '\n';
        } else if (name == "event") {
            type = value;
        } else if (name == "id") {
            if (value.find('\0') == value.npos)
                id = value;
        } else if (name == "retry") {
            long long ms = 0;
            if (!value.empty() && value.find_first_not_of("0123456789") == value.npos &&
                std::from_chars(value.data(), value.data() + value.size(), ms).ec == std::errc())
                out.retry_ms = ms;
        }
    };
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '\r' || in[i] == '\n') {
            take(line);
            line.clear();
            if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n')
                ++i;
        } else {
            line += in[i];
        }
    }
    out.partial = !line.empty() || !data.empty();
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sse_parser_tests)

BOOST_AUTO_TEST_CASE(one_data_event) {
    auto o = parse_all_ways("data: x\n\n");
    BOOST_TEST(o.events == std::vector<event>{msg("x")}, boost::test_tools::per_element());
    BOOST_TEST(!o.ec);
    BOOST_TEST(!o.partial);
    BOOST_TEST(o.comments == 0u);
    BOOST_TEST(o.retry_ms == -1);
}

BOOST_AUTO_TEST_CASE(the_space_after_the_colon_is_optional_and_only_one_is_removed) {
    BOOST_TEST(events_of("data:x\n\n") == std::vector<event>{msg("x")}, boost::test_tools::per_element());
    BOOST_TEST(events_of("data:  x\n\n") == std::vector<event>{msg(" x")}, boost::test_tools::per_element());
    BOOST_TEST(events_of("data: x \n\n") == std::vector<event>{msg("x ")}, boost::test_tools::per_element());
    BOOST_TEST(events_of("data:\tx\n\n") == std::vector<event>{msg("\tx")}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(data_lines_are_joined_with_lf) {
    BOOST_TEST(events_of("data: a\ndata: b\ndata:c\n\n") == std::vector<event>{msg("a\nb\nc")},
               boost::test_tools::per_element());
    BOOST_TEST(events_of("data: a\ndata:\ndata: c\n\n") == std::vector<event>{msg("a\n\nc")},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(lf_crlf_cr_and_mixed_line_ends) {
    const std::vector<event> ab{msg("a"), msg("b")};
    BOOST_TEST(events_of("data: a\n\ndata: b\n\n") == ab, boost::test_tools::per_element());
    BOOST_TEST(events_of("data: a\r\n\r\ndata: b\r\n\r\n") == ab, boost::test_tools::per_element());
    BOOST_TEST(events_of("data: a\r\rdata: b\r\r") == ab, boost::test_tools::per_element());
    // LF then CR is two line ends, CR then LF one.
    BOOST_TEST(events_of("data: a\n\rdata: b\n\n") == ab, boost::test_tools::per_element());
    BOOST_TEST(events_of("data: a\r\r\ndata: b\r\n\n") == ab, boost::test_tools::per_element());
    BOOST_TEST(events_of("data: a\r\ndata: b\rdata: c\n\r\ndata: d\n\r") ==
                   (std::vector<event>{msg("a\nb\nc"), msg("d")}),
               boost::test_tools::per_element());
    BOOST_TEST(events_of("data: a\r\ndata: b\r\ndata: c\r\n\r\n") == std::vector<event>{msg("a\nb\nc")},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(crlf_split_across_inputs_is_one_line_end) {
    // An extra empty line would dispatch "a" on its own.
    sse_parser parser;
    auto o = feed(parser, {"data: a\r", "\ndata: b\r", "\n\r", "\n"});
    BOOST_TEST(o.events == std::vector<event>{msg("a\nb")}, boost::test_tools::per_element());

    // The CR that completes an event is the last byte of one input.
    sse_parser parser2;
    o = feed(parser2, {"data: a\r\r", "\ndata: b\r", "\ndata: c\r\n\r\n"});
    BOOST_TEST(o.events == (std::vector<event>{msg("a"), msg("b\nc")}), boost::test_tools::per_element());
    BOOST_TEST(o.violation.empty());

    // A CR at the end of an input not followed by LF.
    sse_parser parser3;
    o = feed(parser3, {"data: a\r", "data: b\r", "\r"});
    BOOST_TEST(o.events == std::vector<event>{msg("a\nb")}, boost::test_tools::per_element());

    BOOST_TEST(events_of("data: a\rdata: b\r\n\r\ndata: c\r\r\ndata: d\r\n\r") ==
                   (std::vector<event>{msg("a\nb"), msg("c"), msg("d")}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_bom_at_the_start_is_skipped) {
    BOOST_TEST(events_of("\xEF\xBB\xBF"
                         "data: x\n\n") == std::vector<event>{msg("x")},
               boost::test_tools::per_element());
    BOOST_TEST(events_of("\xEF\xBB\xBF\ndata: x\n\n") == std::vector<event>{msg("x")},
               boost::test_tools::per_element());
    BOOST_TEST(events_of("\xEF\xBB\xBF: hi\r\ndata: x\r\n\r\n") == std::vector<event>{msg("x")},
               boost::test_tools::per_element());
    // Only one, and only at the very start: elsewhere it is part of the field name.
    BOOST_TEST(events_of("\xEF\xBB\xBF\xEF\xBB\xBF"
                         "data: x\n\n")
                   .empty());
    BOOST_TEST(events_of("data: a\n\n\xEF\xBB\xBF"
                         "data: b\n\n") == std::vector<event>{msg("a")},
               boost::test_tools::per_element());
    // An incomplete BOM is content.
    BOOST_TEST(events_of("\xEF\xBB"
                         "data: x\n\n")
                   .empty());
    BOOST_TEST(events_of("\xEF\ndata: x\n\n") == std::vector<event>{msg("x")}, boost::test_tools::per_element());
    BOOST_TEST(events_of("\xEF"
                         "data: x\n\ndata: y\n\n") == std::vector<event>{msg("y")},
               boost::test_tools::per_element());

    BOOST_TEST(!parse_all_ways("\xEF\xBB\xBF").partial);
    BOOST_TEST(parse_all_ways("\xEF\xBB").partial);
}

BOOST_AUTO_TEST_CASE(comments_are_counted_and_ignored) {
    auto o = parse_all_ways(": PING\n\n: OPENROUTER PROCESSING\n\ndata: x\n\n:\n");
    BOOST_TEST(o.events == std::vector<event>{msg("x")}, boost::test_tools::per_element());
    BOOST_TEST(o.comments == 3u);
    BOOST_TEST(!o.partial);

    // Inside an event a comment neither ends nor changes it.
    o = parse_all_ways("data: a\n: PING\ndata: b\n\n");
    BOOST_TEST(o.events == std::vector<event>{msg("a\nb")}, boost::test_tools::per_element());
    BOOST_TEST(o.comments == 1u);

    // Comment lines with other line ends.
    o = parse_all_ways(": PING\r: PING\r\n:data: x\n\n");
    BOOST_TEST(o.events.empty());
    BOOST_TEST(o.comments == 3u);
}

BOOST_AUTO_TEST_CASE(event_type_and_its_reset) {
    BOOST_TEST(events_of("event: error\ndata: {\"error\":{}}\n\ndata: y\n\n") ==
                   (std::vector<event>{{"error", "{\"error\":{}}", ""}, msg("y")}),
               boost::test_tools::per_element());
    BOOST_TEST(events_of("event:\ndata: z\n\n") == std::vector<event>{msg("z")}, boost::test_tools::per_element());
    BOOST_TEST(events_of("event: a\nevent: b\ndata: z\n\n") == (std::vector<event>{{"b", "z", ""}}),
               boost::test_tools::per_element());
    // An event without data is not dispatched, and its type does not carry over.
    auto o = parse_all_ways("event: ping\n\ndata: x\n\n");
    BOOST_TEST(o.events == std::vector<event>{msg("x")}, boost::test_tools::per_element());
    o = parse_all_ways("event: only\n\n");
    BOOST_TEST(o.events.empty());
    BOOST_TEST(!o.partial);
}

BOOST_AUTO_TEST_CASE(id_persists_and_an_id_with_nul_is_ignored) {
    BOOST_TEST(events_of("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\n\ndata: d\n\nid: x:y\ndata: e\n\n") ==
                   (std::vector<event>{msg("a", "1"), msg("b", "1"), msg("c"), msg("d", "2"), msg("e", "x:y")}),
               boost::test_tools::per_element());
    BOOST_TEST(events_of("id: 7\ndata: a\n\nid: 8\0"
                         "9\ndata: b\n\nid: \0\ndata: c\n\n"sv) ==
                   (std::vector<event>{msg("a", "7"), msg("b", "7"), msg("c", "7")}),
               boost::test_tools::per_element());
    // NUL elsewhere is ordinary data.
    BOOST_TEST(events_of("data: a\0b\n\n"sv) == std::vector<event>{msg("a\0b"s)}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(retry_takes_only_digits) {
    BOOST_TEST(parse_all_ways("retry: 3000\n").retry_ms == 3000);
    BOOST_TEST(parse_all_ways("retry:0\r\n").retry_ms == 0);
    BOOST_TEST(parse_all_ways("retry: 3000\nretry: 12a\nretry: \nretry\nretry: -5\nretry:  100\nretry: 1.5\n"
                              "retry: 99999999999999999999999\n")
                   .retry_ms == 3000);
    BOOST_TEST(parse_all_ways("retry: 3000\nretry: 250\n").retry_ms == 250);
    BOOST_TEST(parse_all_ways("retry: 12a\n").retry_ms == -1);
    // A retry line is not data: it dispatches nothing.
    auto o = parse_all_ways("retry: 10\n\n");
    BOOST_TEST(o.events.empty());
}

BOOST_AUTO_TEST_CASE(a_field_without_colon_has_an_empty_value) {
    // Per the spec the data buffer is then "\n", not empty, so the event is
    // dispatched, with "" once the last LF is removed.
    BOOST_TEST(events_of("data\n\n") == std::vector<event>{msg("")}, boost::test_tools::per_element());
    BOOST_TEST(events_of("data:\n\n") == std::vector<event>{msg("")}, boost::test_tools::per_element());
    BOOST_TEST(events_of("data: \n\n") == std::vector<event>{msg("")}, boost::test_tools::per_element());
    BOOST_TEST(events_of("data\ndata\n\n") == std::vector<event>{msg("\n")}, boost::test_tools::per_element());
    BOOST_TEST(events_of("event\ndata: x\n\n") == std::vector<event>{msg("x")}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_ignored) {
    // Field names are case-sensitive and end exactly at the colon.
    BOOST_TEST(events_of("foo: bar\nData: x\ndata : y\n data: z\n\n").empty());
    BOOST_TEST(events_of("foo: bar\ndata: z\nfoo\n\n") == std::vector<event>{msg("z")},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(done_marker) {
    BOOST_TEST(events_of("data: [DONE]\n\n") == std::vector<event>{msg("[DONE]")}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_openai_style_stream) {
    const std::string chunks[] = {
        R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"openai/gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null})",
        R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"openai/gpt-4o","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null})",
        R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"openai/gpt-4o","choices":[{"index":0,"delta":{"content":"lo: \n\"x\""},"finish_reason":null}],"usage":null})",
        R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"openai/gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":null}]})",
        R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"openai/gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null})",
        R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"openai/gpt-4o","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}})",
    };
    std::vector<event> expected;
    for (const auto& c : chunks)
        expected.push_back(msg(c));
    expected.push_back(msg("[DONE]"));

    for (std::string eol : {"\n", "\r\n", "\r"}) {
        std::string stream = ": OPENROUTER PROCESSING" + eol + eol;
        for (const auto& c : chunks)
            stream += "data: " + c + eol + eol + (c == chunks[2] ? ": PING" + eol + eol : "");
        stream += "data: [DONE]" + eol + eol;
        auto o = parse_all_ways(stream);
        BOOST_TEST(o.events == expected, boost::test_tools::per_element());
        BOOST_TEST(o.comments == 2u);
        BOOST_TEST(!o.partial);
        BOOST_TEST(!o.ec);
    }
}

BOOST_AUTO_TEST_CASE(parse_returns_after_each_event) {
    sse_parser parser;
    dgrid::error_code ec;
    std::string_view in = "data: a\r\n\r\n: c\ndata: b\n\ndata: c";
    std::size_t n = parser.parse(in, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(n == 11u);
    BOOST_TEST(parser.has_event());
    BOOST_TEST(parser.event().data == "a");
    BOOST_TEST(parser.event().type == "message");
    in.remove_prefix(n);
    n = parser.parse(in, ec);
    BOOST_TEST(n == 13u);
    BOOST_TEST(parser.event().data == "b");
    BOOST_TEST(parser.comments() == 1u);
    in.remove_prefix(n);
    n = parser.parse(in, ec);
    BOOST_TEST(n == 7u);
    BOOST_TEST(!parser.has_event());
    BOOST_TEST(parser.has_partial_event());
    n = parser.parse("", ec);
    BOOST_TEST(n == 0u);
    BOOST_TEST(!ec);
    BOOST_TEST(!parser.has_event());
}

// An event's only data line, whole in the input, is handed over in place;
// one that the input does not finish, or a second data line, is copied.
BOOST_AUTO_TEST_CASE(a_data_line_whole_in_the_input_is_not_copied) {
    sse_parser parser;
    dgrid::error_code ec;
    const std::string in = "data: {\"a\":1}\n\ndata: b\n";
    BOOST_TEST(parser.parse(in, ec) == 15u);
    BOOST_TEST(parser.event().data.data() == in.data() + 6);
    BOOST_TEST(parser.event().data == "{\"a\":1}");
    std::string rest = in.substr(15);
    BOOST_TEST(parser.parse(rest, ec) == rest.size());
    BOOST_TEST(!parser.has_event());
    rest.assign(rest.size(), 'x');
    BOOST_TEST(parser.parse("data: c\n\n", ec) == 9u);
    BOOST_TEST(parser.event().data == "b\nc");
}

BOOST_AUTO_TEST_CASE(event_size_limit) {
    constexpr std::size_t max = 16;
    // A line of exactly the limit, and data of exactly the limit over two lines.
    BOOST_TEST(events_of("data: 0123456789\n\n", max) == std::vector<event>{msg("0123456789")},
               boost::test_tools::per_element());
    BOOST_TEST(events_of("data:0123456789a\r\n\r\n", max) == std::vector<event>{msg("0123456789a")},
               boost::test_tools::per_element());
    BOOST_TEST(events_of("data:0123456789a\ndata:0123\n\n", max) == std::vector<event>{msg("0123456789a\n0123")},
               boost::test_tools::per_element());
    BOOST_TEST(events_of("data: 0123456\ndata: 01234567\n\n", max) == std::vector<event>{msg("0123456\n01234567")},
               boost::test_tools::per_element());
    BOOST_TEST(events_of("event: 012345678\n: 0123456789abcd\nid: 0123456789ab\ndata: x\n\n", max) ==
                   (std::vector<event>{{"012345678", "x", "0123456789ab"}}),
               boost::test_tools::per_element());
    auto o = parse_all_ways("data: 0123456789", max);
    BOOST_TEST(!o.ec);
    BOOST_TEST(o.partial);

    // One byte more, in each way an event or a line can grow; the events before
    // arrive first.
    for (std::string_view in :
         {"data: a\n\ndata: 0123456789a\n\n"sv, "data: a\n\ndata: 0123456789a"sv,
          "data: a\r\rdata: 0123456789abcdefghijklmnop\r\r"sv, "data: a\n\ndata: 01234567\ndata: 01234567\n\n"sv,
          "data: a\n\ndata:0123456789a\ndata:0123\ndata\n\n"sv, "data: a\n\n: 0123456789abcdef\n"sv,
          "data: a\n\nevent: 0123456789a\n"sv, "data: a\n\nid: 0123456789abcd\n"sv,
          "data: a\n\n\xEF\xBB\xBF: 0123456789abcde\n"sv, "data: a\n\n0123456789abcdefghijklmnopqrstuvwxyz"sv}) {
        o = parse_all_ways(in, max);
        BOOST_TEST(o.ec == too_large, escape(in));
        BOOST_TEST(o.events == std::vector<event>{msg("a")}, boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_CASE(after_too_large_the_parser_can_be_reset) {
    sse_parser parser(8);
    dgrid::error_code ec;
    parser.parse("data: 0123456789\n\n", ec);
    BOOST_TEST(ec == too_large);
    BOOST_TEST(!parser.has_event());
    BOOST_TEST(parser.parse("data: x\n\n", ec) == 0u);
    BOOST_TEST(ec == too_large);
    parser.reset();
    auto o = feed(parser, {"data: x\n\n"});
    BOOST_TEST(o.events == std::vector<event>{msg("x")}, boost::test_tools::per_element());
    BOOST_TEST(!o.ec);
}

BOOST_AUTO_TEST_CASE(a_stream_ending_mid_event_leaves_a_partial_event) {
    BOOST_TEST(parse_all_ways("data: a\n\ndata: b\n").partial);
    BOOST_TEST(parse_all_ways("data: a\n\ndata: b").partial);
    BOOST_TEST(parse_all_ways("data: a\n\ndata:").partial);
    BOOST_TEST(parse_all_ways("data: a\n\nd").partial);
    BOOST_TEST(parse_all_ways(": PI").partial);
    BOOST_TEST(parse_all_ways("data: a\r\n\r").partial == false);
    BOOST_TEST(parse_all_ways("data: a\n\n").partial == false);
    BOOST_TEST(parse_all_ways("").partial == false);
    BOOST_TEST(parse_all_ways(": PING\n").partial == false);
    // Fields without data would never be dispatched: nothing is lost.
    BOOST_TEST(parse_all_ways("data: a\n\nid: 3\nevent: x\nretry: 5\n").partial == false);
}

BOOST_AUTO_TEST_CASE(reset_gives_a_fresh_parser) {
    const std::string_view messy[] = {
        "\xEF\xBB\xBFid: 9\nretry: 5\n: c\nevent: e\ndata: held\r", // pending CR, data held
        "data: a\n\n",                                              // an event not yet taken
        "id: 9\ndata: a\n\ndata: partial lin",                      // a line held
        "\xEF\xBB",                                                 // half a BOM
    };
    for (auto in : messy) {
        sse_parser parser;
        dgrid::error_code ec;
        parser.parse(in, ec);
        parser.reset();
        BOOST_TEST(!parser.has_event());
        BOOST_TEST(!parser.has_partial_event());
        BOOST_TEST(parser.comments() == 0u);
        BOOST_TEST(parser.retry_ms() == -1);
        // A LF first is an empty line of its own, and a BOM is skipped again.
        for (std::string_view next : {"\ndata: b\n\n"sv, "\xEF\xBB\xBF"
                                                         "data: b\n\n"sv}) {
            auto o = feed(parser, {next});
            BOOST_TEST(o == feed_whole(next), describe(o));
            BOOST_TEST(o.events == std::vector<event>{msg("b")}, boost::test_tools::per_element());
            parser.reset();
        }
    }
}

BOOST_AUTO_TEST_CASE(buffers_are_reused_between_events) {
    sse_parser parser;
    dgrid::error_code ec;
    const std::string one = "data: {\"choices\":[{\"delta\":{\"content\":\"a token of text\"}}]}\n"
                            "data: a second line of data\n\n";
    const char* first = nullptr;
    std::size_t moved = 0;
    for (int i = 0; i < 200; ++i) {
        // Whole and split in the middle of the first line.
        std::string_view in = one;
        if (i % 2) {
            parser.parse(in.substr(0, 20), ec);
            in.remove_prefix(20);
        }
        parser.parse(in, ec);
        BOOST_REQUIRE(parser.has_event());
        if (!first)
            first = parser.event().data.data();
        else if (parser.event().data.data() != first)
            ++moved;
    }
    BOOST_TEST(moved == 0u);
}

BOOST_AUTO_TEST_CASE(a_multi_megabyte_event) {
    std::string value(5u << 20, 'x');
    for (std::size_t i = 0; i < value.size(); i += 997)
        value[i] = static_cast<char>('a' + i % 26);
    for (std::string eol : {"\n", "\r\n", "\r"}) {
        const std::string stream = "data: a" + eol + eol + "data: " + value + eol + eol + "data: b" + eol + eol;
        const std::size_t start = 7 + 2 * eol.size(); // where the big line begins
        for (std::size_t split : {std::size_t(0), start, start + 4, start + 5, start + 6, start + 7, stream.size() / 2,
                                  stream.size() - 8, stream.size() - 7, stream.size() - 1}) {
            sse_parser parser;
            auto o = feed(parser, {std::string_view(stream).substr(0, split), std::string_view(stream).substr(split)});
            BOOST_TEST(o.violation.empty());
            BOOST_TEST_REQUIRE(o.events.size() == 3u);
            BOOST_TEST(o.events[0].data == "a");
            BOOST_TEST((o.events[1].data == value), "split at " << split);
            BOOST_TEST(o.events[2].data == "b");
        }
        // As it would come from a socket, 16 KiB at a time, then again after a reset.
        std::vector<std::string_view> reads;
        for (std::size_t i = 0; i < stream.size(); i += 16384)
            reads.push_back(std::string_view(stream).substr(i, 16384));
        sse_parser parser;
        for (int round = 0; round < 2; ++round) {
            auto o = feed(parser, reads);
            BOOST_TEST_REQUIRE(o.events.size() == 3u);
            BOOST_TEST((o.events[1].data == value));
            parser.reset();
        }

        // Over a 1 MiB limit: refused wherever the input was split.
        for (std::size_t split : {std::size_t(0), start + 5, start + 6, stream.size() / 2, stream.size() - 3}) {
            sse_parser small(1u << 20);
            auto o = feed(small, {std::string_view(stream).substr(0, split), std::string_view(stream).substr(split)});
            BOOST_TEST(o.ec == too_large);
            BOOST_TEST(o.events == std::vector<event>{msg("a")}, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(generated_streams_match_a_literal_reading_of_the_spec) {
    // Streams of pieces chosen to meet at awkward places: line ends of every
    // kind, BOM bytes, colons and spaces, field names and their near misses.
    const std::string_view pieces[] = {"data",  "data:", "data: ", ":",    " ",        "\r",
                                       "\n",    "\r\n",  "x",      "yz",   "event",    "id",
                                       "retry", "12",    "\0"sv,   "\xEF", "\xBB\xBF", "\xEF\xBB\xBF"};
    std::mt19937 rng(20240611);
    std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1);
    std::uniform_int_distribution<int> length(1, 40);
    std::size_t differ = 0;
    std::string first;
    for (int round = 0; round < 300; ++round) {
        std::string in;
        for (int n = length(rng); n > 0; --n)
            in += pieces[pick(rng)];
        auto got = parse_all_ways(in);
        auto want = reference(in);
        if (!(got == want) && differ++ == 0)
            first = escape(in) + ": " + describe(got) + " but the spec says " + describe(want);
    }
    BOOST_TEST(differ == 0u, first);
}

BOOST_AUTO_TEST_SUITE_END()
