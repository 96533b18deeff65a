// The framing of a streamed response's body: sans-io, so each message is fed
// in reads of every size from one byte up, with the body taken a little at a
// time as the SSE reader takes it, and every way must give the same body.
#include <dgrid/detail/http/body_framing.hpp>

#include <boost/beast/http/error.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

using dgrid::detail::body_framing;
namespace http = boost::beast::http;

namespace {

struct outcome {
    std::string body;
    bool done = false;
    dgrid::error_code ec;
    std::size_t left_over = 0; // bytes after the body, or not read
};

// Feeds `raw` in reads of at most `read_size` bytes; after each read the body
// is taken in pieces of at most `take_size` bytes until none is left.
outcome feed(body_framing framing, std::string_view raw, std::size_t read_size, std::size_t take_size) {
    outcome out;
    std::string input; // read, not yet taken
    std::size_t read = 0;
    for (;;) {
        for (;;) {
            std::size_t framing_bytes = 0;
            const std::string_view body = framing.body(input, framing_bytes, out.ec);
            if (out.ec)
                return out;
            const std::size_t n = std::min(body.size(), take_size);
            out.body.append(body.substr(0, n));
            framing.take(n);
            input.erase(0, framing_bytes + n);
            if (body.empty())
                break;
        }
        if (framing.done() || read == raw.size())
            break;
        const std::size_t n = std::min(read_size, raw.size() - read);
        input.append(raw.substr(read, n));
        read += n;
    }
    out.done = framing.done();
    out.left_over = input.size() + raw.size() - read;
    return out;
}

// Every read size and a few take sizes agree on `expected`.
void check(body_framing framing, std::string_view raw, const outcome& expected) {
    for (std::size_t read_size = 1; read_size <= raw.size(); ++read_size) {
        for (std::size_t take_size : {std::size_t(1), std::size_t(3), raw.size()}) {
            BOOST_TEST_CONTEXT("reads of " << read_size << ", takes of " << take_size) {
                const outcome got = feed(framing, raw, read_size, take_size);
                BOOST_TEST(got.ec == expected.ec);
                if (expected.ec)
                    continue;
                BOOST_TEST(got.body == expected.body);
                BOOST_TEST(got.done == expected.done);
                BOOST_TEST(got.left_over == expected.left_over);
            }
        }
    }
}

void check_malformed(std::string_view raw) {
    BOOST_TEST_CONTEXT(raw) { check(body_framing::chunked(), raw, {.ec = http::error::bad_chunk}); }
}

} // namespace

BOOST_AUTO_TEST_SUITE(body_framing_reader)

BOOST_AUTO_TEST_CASE(chunks_are_joined) {
    check(body_framing::chunked(), "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", {.body = "hello world", .done = true});
}

BOOST_AUTO_TEST_CASE(extensions_hex_case_and_trailers_are_read_past) {
    check(body_framing::chunked(),
          "A;name=value\r\n0123456789\r\n1 ; x=\"quoted\"\t\r\nZ\r\n0;last\r\nExpires: never\r\nX-Trailer: 1\r\n\r\n",
          {.body = "0123456789Z", .done = true});
    check(body_framing::chunked(), "1f\r\n" + std::string(31, 'x') + "\r\n0\r\n\r\n",
          {.body = std::string(31, 'x'), .done = true});
    check(body_framing::chunked(), "0000000000000000003\r\nabc\r\n000\r\n\r\n", {.body = "abc", .done = true});
}

// The next response's bytes are not this body's.
BOOST_AUTO_TEST_CASE(the_body_ends_where_its_framing_says) {
    check(body_framing::chunked(), "2\r\nok\r\n0\r\n\r\nHTTP/1.1", {.body = "ok", .done = true, .left_over = 8});
    check(body_framing::length(11), "hello worldHTTP/1.1", {.body = "hello world", .done = true, .left_over = 8});
    check(body_framing::length(0), "HTTP", {.done = true, .left_over = 4});
}

BOOST_AUTO_TEST_CASE(a_body_up_to_the_close_takes_everything) {
    body_framing framing = body_framing::until_close();
    BOOST_TEST(framing.ends_at_close());
    check(framing, "data: x\n\n0\r\n\r\n", {.body = "data: x\n\n0\r\n\r\n"});
    BOOST_TEST(framing.close());
    BOOST_TEST(framing.done());
    BOOST_TEST(!framing.ends_at_close());
}

BOOST_AUTO_TEST_CASE(a_cut_body_is_not_done) {
    check(body_framing::chunked(), "5\r\nhel", {.body = "hel"});
    check(body_framing::chunked(), "5\r\nhello\r\n0\r\n", {.body = "hello"});
    check(body_framing::length(10), "hello", {.body = "hello"});
    for (body_framing framing : {body_framing::chunked(), body_framing::length(1)}) {
        BOOST_TEST(!framing.ends_at_close());
        BOOST_TEST(!framing.close());
        BOOST_TEST(!framing.done());
    }
}

BOOST_AUTO_TEST_CASE(malformed_framing_is_an_error) {
    check_malformed("g\r\n");
    check_malformed("\r\n");
    check_malformed(";ext\r\n");
    check_malformed("5\nhello\r\n");
    check_malformed("5\r\rhello\r\n");
    check_malformed("5\r\nhelloX\r\n");
    check_malformed("5\r\nhello\rX");
    check_malformed("5 x\r\nhello\r\n"); // after the size's spaces, only `;` or the line's end
    check_malformed("1\x01\r\nx\r\n");
    check_malformed("1;a\x01\r\nx\r\n");
    check_malformed("1;a\nx\r\n");
    check_malformed("1000000000000000\r\n"); // 2^60: more than anyone sends
    check_malformed("1;" + std::string(body_framing::max_line_size - 3, 'e') + "\r\nx\r\n0\r\n\r\n");
    check_malformed("0\r\nX-Trailer: " + std::string(body_framing::max_line_size, 't') + "\r\n\r\n");
    check_malformed("0\r\nX-Trailer: 1\n\r\n");
    check_malformed("0\r\n\n");
}

// The longest line allowed is read: "1;", the extension and CRLF make
// max_line_size bytes (one more is malformed, above).
BOOST_AUTO_TEST_CASE(lines_up_to_the_limit_are_read) {
    const std::string extension(body_framing::max_line_size - 4, 'e');
    check(body_framing::chunked(), "1;" + extension + "\r\nx\r\n0\r\n\r\n", {.body = "x", .done = true});
}

BOOST_AUTO_TEST_SUITE_END()
