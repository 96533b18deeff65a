// Fuzzes the decoding half of a streamed completion: the input is the body of
// a text/event-stream response, read as chat_stream reads it (sse_parser ->
// chunk_decoder -> chat_accumulator, until `data: [DONE]` or an error), after
// which the merged completion is written back to JSON and searched for images.
//
// Differential check: chunk_decoder reuses one chunk (and pooled strings) from
// event to event, and promises to give what `from_json` gives on a fresh
// chunk, once a surrogate_mender of its own has joined surrogate pairs split
// across events. Every event is decoded both ways, also past the first error
// (the decoder stays usable), and the two must agree on the error, the
// diagnostics and, when they succeed, on the chunk. No chunk text and no
// merged text may hold a surrogate.
#include <dgrid/chat_accumulator.hpp>
#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/detail/chunks/surrogate_mender.hpp>
#include <dgrid/detail/json/lone_surrogates.hpp>
#include <dgrid/detail/sse/sse_parser.hpp>
#include <dgrid/image.hpp>
#include <dgrid/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_chunk_stream: invariant violated: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what) {
    if (!ok)
        violated(what);
}

// Boost.JSON 1.81 reads a number too large for a double as infinity (1e400)
// and 0e400 as NaN, and writes them as `Infinity` and `NaN`, which are not
// JSON. Values that dgrid passes through as received (`extra`, `logprobs`)
// can hold them.
bool has_non_finite(const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::double_: return !std::isfinite(v.get_double());
    case boost::json::kind::array:
        for (const boost::json::value& e : v.get_array())
            if (has_non_finite(e))
                return true;
        return false;
    case boost::json::kind::object:
        for (const boost::json::key_value_pair& kv : v.get_object())
            if (has_non_finite(kv.value()))
                return true;
        return false;
    default: return false;
    }
}

// JSON equality (member order aside) where NaN equals NaN.
bool same_json(const boost::json::value& a, const boost::json::value& b) {
    if (a.kind() != b.kind())
        return false;
    switch (a.kind()) {
    case boost::json::kind::double_:
        return a.get_double() == b.get_double() || (std::isnan(a.get_double()) && std::isnan(b.get_double()));
    case boost::json::kind::array: {
        const boost::json::array& x = a.get_array();
        const boost::json::array& y = b.get_array();
        if (x.size() != y.size())
            return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!same_json(x[i], y[i]))
                return false;
        return true;
    }
    case boost::json::kind::object: {
        const boost::json::object& x = a.get_object();
        const boost::json::object& y = b.get_object();
        if (x.size() != y.size())
            return false;
        for (const boost::json::key_value_pair& kv : x) {
            const boost::json::value* other = y.if_contains(kv.key());
            if (!other || !same_json(kv.value(), *other))
                return false;
        }
        return true;
    }
    default: return a == b;
    }
}

// Whether `s` is free of surrogates in their three-byte form, which no
// text handed to a user may hold (the rest of UTF-8 is checked by the parser).
bool no_surrogates(std::string_view s) {
    for (std::size_t i = 0; i + 1 < s.size(); ++i)
        if (static_cast<unsigned char>(s[i]) == 0xED && static_cast<unsigned char>(s[i + 1]) >= 0xA0)
            return false;
    return true;
}

bool same_diagnostics(const dgrid::diagnostics& a, const dgrid::diagnostics& b) {
    return a.message == b.message && a.type == b.type && a.param == b.param && same_json(a.code, b.code) &&
           a.body_excerpt == b.body_excerpt;
}

// Decodes `data` into `chunk` with `decoder`, and on a fresh chunk with
// from_json, and checks that both agree.
dgrid::error_code decode_both(dgrid::detail::chunk_decoder& decoder, dgrid::chat_chunk& chunk,
                              dgrid::detail::surrogate_mender& mender, std::string_view data) {
    dgrid::diagnostics diag;
    const dgrid::error_code decoded = decoder.decode(data, chunk, diag);

    dgrid::chat_chunk fresh;
    dgrid::diagnostics fresh_diag;
    const dgrid::error_code parsed = dgrid::parse_json(data, fresh, fresh_diag);
    if (!parsed || parsed == dgrid::error::stream_error)
        mender.mend(fresh);
    if (!decoded) {
        for (const dgrid::chunk_choice& c : chunk.choices) {
            check(no_surrogates(c.delta.content.value_or("")), "a surrogate in a chunk's content");
            check(no_surrogates(c.delta.reasoning_content.value_or("")), "a surrogate in a chunk's reasoning");
            for (const dgrid::tool_call_delta& call : c.delta.tool_calls)
                check(no_surrogates(call.arguments.value_or("")), "a surrogate in a chunk's arguments");
        }
    }

    check(decoded == parsed, "chunk_decoder and from_json disagree on the error");
    check(same_diagnostics(diag, fresh_diag), "chunk_decoder and from_json disagree on the diagnostics");
    bool comparable = !decoded;
    if (decoded == dgrid::error::stream_error) {
        // The rest of an error chunk is read too, but when a member of it
        // is malformed the reading stops there and leaves a partial chunk,
        // which may differ: compare only when the chunk without its
        // `error` member is well-formed.
        boost::system::error_code ec;
        boost::json::value v =
            dgrid::detail::parse_json_tree(data, {}, dgrid::detail::lone_surrogate_rule::keep_in_chunk_free_text, ec);
        v.as_object().erase("error");
        dgrid::chat_chunk rest;
        dgrid::diagnostics rest_diag;
        comparable = !dgrid::from_json(v, rest, rest_diag);
    }
    if (comparable && !same_json(dgrid::to_json(chunk), dgrid::to_json(fresh))) {
        std::fprintf(stderr, "decoder:   %s\nfrom_json: %s\n", boost::json::serialize(dgrid::to_json(chunk)).c_str(),
                     boost::json::serialize(dgrid::to_json(fresh)).c_str());
        violated("chunk_decoder and from_json disagree on the chunk");
    }
    check(chunk.text() == fresh.text() || decoded, "chunk_decoder and from_json disagree on text()");

    return decoded;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(bytes), size);

    dgrid::detail::sse_parser sse(1u << 20);
    dgrid::detail::chunk_decoder decoder;
    dgrid::chat_chunk chunk; // reused from event to event, as in chat_stream
    dgrid::chat_accumulator accumulator;
    dgrid::detail::surrogate_mender mender; // for the fresh chunks, as the decoder's for its own
    bool failed = false;                    // the stream would have ended here; decoding goes on

    // Sometimes (as the last byte says) a large event first, one that is
    // read through a JSON tree (an unknown member holding an object): the
    // decoder's arena grows past its initial 16 KiB, or past the 1 MiB it
    // keeps, and the events of the input are then decoded with that decoder.
    const unsigned char control = size == 0 ? 0 : bytes[size - 1];
    if (control % 8 == 1 || control == 0xFE) {
        const std::size_t pad = control == 0xFE ? (1u << 20) + 100 : 20000;
        const std::string large =
            R"({"id":"large","pad":{"p":")" + std::string(pad, 'x') + R"("},"choices":[{"delta":{"content":"big"}}]})";
        check(!decode_both(decoder, chunk, mender, large), "a large chunk does not decode");
        const std::size_t arena = decoder.arena_size();
        check(arena > 16 * 1024 && arena <= 1024 * 1024, "the arena did not grow, or grew too much");
    }

    while (!input.empty()) {
        dgrid::error_code ec;
        const std::size_t n = sse.parse(input, ec);
        check(n <= input.size(), "sse_parser consumed more than it was given");
        input.remove_prefix(n);
        if (ec || !sse.has_event())
            break;
        const dgrid::detail::sse_event event = sse.event();
        if (event.data == "[DONE]")
            break;

        const dgrid::error_code decoded = decode_both(decoder, chunk, mender, event.data);
        if (decoded)
            failed = true;
        if (!failed)
            accumulator.add(chunk);
    }

    dgrid::chat_chunk rest;
    if (!failed && decoder.flush_lone_surrogates(rest))
        accumulator.add(rest);
    const dgrid::chat_completion& completion = accumulator.completion();
    if (!failed && !completion.choices.empty()) {
        const dgrid::message& m = completion.choices.front().message;
        check(no_surrogates(m.reasoning_content.value_or("")), "a surrogate in the merged reasoning");
        check(no_surrogates(completion.text()), "a surrogate in the merged text");
    }
    const boost::json::value written = dgrid::to_json(completion);
    const std::string text = boost::json::serialize(written);

    // What to_json writes, from_json reads back to the same JSON. Compared
    // with the text parsed back rather than with `written`: Boost.JSON 1.81
    // does not read every double back exactly as it wrote it (1 ulp off).
    // Skipped when the text is not JSON (see has_non_finite).
    if (!has_non_finite(written)) {
        dgrid::chat_completion reread;
        dgrid::diagnostics reread_diag;
        if (dgrid::parse_json(text, reread, reread_diag)) {
            std::fprintf(stderr, "%s\n%s\n", reread_diag.message.c_str(), text.c_str());
            violated("from_json fails on what to_json wrote");
        }
        boost::json::parse_options deep;
        deep.max_depth = 1000;
        if (dgrid::to_json(reread) != boost::json::parse(text, {}, deep)) {
            std::fprintf(stderr, "%s\n%s\n", text.c_str(), boost::json::serialize(dgrid::to_json(reread)).c_str());
            violated("to_json(from_json(to_json(completion))) differs");
        }
    }

    dgrid::error_code image_ec;
    for (const dgrid::image& img : dgrid::extract_images(completion, image_ec))
        check(!img.bytes.empty() && !img.mime_type.empty(), "an empty decoded image");

    const dgrid::chat_completion taken = accumulator.take();
    check(same_json(dgrid::to_json(taken), written), "take() returned something else than completion()");
    check(accumulator.completion().choices.empty() && accumulator.completion().id.empty(), "take() did not start over");
    return 0;
}
