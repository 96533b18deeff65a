// Fuzzes the writing of a request's body: the client writes it without a JSON
// tree (request_writer), and must write byte for byte what
// serialize(to_json()) writes. The input is read as a chat_request first, so
// that every field, string and `extra` member the reader accepts is written.
#include <dgrid/detail/json/request_writer.hpp>
#include <dgrid/json.hpp>

#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    dgrid::chat_request request;
    dgrid::diagnostics diag;
    if (dgrid::parse_json(text, request, diag))
        return 0;
    const std::string written = dgrid::detail::request_json(request);
    const std::string expected = boost::json::serialize(dgrid::to_json(request));
    if (written != expected) {
        std::fprintf(stderr, "request_json: %s\nto_json:      %s\n", written.c_str(), expected.c_str());
        std::fprintf(stderr, "fuzz_request: invariant violated: request_json differs from serialize(to_json())\n");
        std::abort();
    }
    // A stream's body, written from the caller's request without a copy.
    dgrid::chat_request sent = request;
    sent.stream = true;
    if (!sent.extra.contains("stream_options"))
        sent.extra["stream_options"] = {{"include_usage", true}};
    if (dgrid::detail::request_json(request, true) != boost::json::serialize(dgrid::to_json(sent))) {
        std::fprintf(stderr, "fuzz_request: invariant violated: a stream's request_json differs from to_json()\n");
        std::abort();
    }
    return 0;
}
