// Fuzzes detail::sse_parser: the input is a text/event-stream, parsed in one
// piece, in three pieces split where its first and last bytes say, and one
// byte at a time. Besides not crashing, every run must see the same events,
// comments, retry value, error and leftover state (the parser promises that
// the outcome does not depend on where the input was split), `parse` must
// never claim more bytes than it was given, and after `reset` a parser must
// behave like a new one.
#include <dgrid/detail/sse/sse_parser.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using dgrid::detail::sse_parser;

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_sse_parser: invariant violated: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what) {
    if (!ok)
        violated(what);
}

struct event_copy {
    std::string type;
    std::string data;
    std::string id;
    bool operator==(const event_copy&) const = default;
};

struct outcome {
    std::vector<event_copy> events;
    bool failed = false;
    std::size_t comments = 0;
    long long retry_ms = -1;
    bool partial = false;
    bool operator==(const outcome&) const = default;
};

// Feeds `pieces` one after the other, taking every event, until the input is
// used up or the parser fails. The bytes a call consumed are overwritten after
// it, as a reused read buffer would be: the parser may keep no view of them.
outcome run(sse_parser& p, const std::vector<std::string_view>& pieces, std::size_t max) {
    outcome out;
    for (std::string_view original : pieces) {
        std::string bytes(original);
        std::string_view rest = bytes;
        // An empty input is allowed and changes nothing (see the loop below).
        do {
            dgrid::error_code ec;
            const std::size_t n = p.parse(rest, ec);
            check(n <= rest.size(), "parse consumed more than it was given");
            if (ec) {
                check(ec == dgrid::error::event_too_large, "an error other than event_too_large");
                check(!p.has_event(), "an event together with an error");
                // Sticky until reset.
                dgrid::error_code again;
                check(p.parse("data: x\n\n", again) == 0 && again == dgrid::error::event_too_large,
                      "a failed parser parsed again without reset");
                out.failed = true;
                return out;
            }
            if (p.has_event()) {
                check(n > 0, "an event from no bytes");
                const dgrid::detail::sse_event e = p.event();
                check(!e.type.empty(), "an empty event type");
                check(e.data.size() <= max && e.type.size() <= max && e.id.size() <= max,
                      "an event larger than max_event_size");
                check(e.data.find('\r') == std::string_view::npos, "a CR inside event data");
                check(e.type.find_first_of("\r\n") == std::string_view::npos, "a line end inside the event type");
                check(e.id.find_first_of("\r\n") == std::string_view::npos, "a line end inside the event id");
                check(e.id.find('\0') == std::string_view::npos, "a NUL inside the event id");
                out.events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
            } else {
                check(n == rest.size(), "parse stopped before the end without an event");
            }
            std::fill_n(bytes.begin() + (rest.data() - bytes.data()), n, '\x7f');
            rest.remove_prefix(n);
        } while (!rest.empty());
    }
    out.comments = p.comments();
    out.retry_ms = p.retry_ms();
    out.partial = p.has_partial_event();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(bytes), size);

    // The control values come from bytes that are also part of the stream, so
    // that the seeds stay plain event streams. Small limits make the
    // event_too_large paths reachable with small inputs.
    static constexpr std::size_t limits[] = {4096, 4096, 256, 16};
    const std::size_t max = size == 0 ? 4096 : limits[bytes[0] % 4];
    const std::size_t a = size < 2 ? 0 : (std::size_t(bytes[0]) * 256 + bytes[1]) % (size + 1);
    const std::size_t b = size == 0 ? 0 : a + (std::size_t(bytes[size - 1]) * 31) % (size - a + 1);

    sse_parser whole_parser(max);
    const outcome whole = run(whole_parser, {input}, max);

    sse_parser split_parser(max);
    const outcome split = run(split_parser, {input.substr(0, a), input.substr(a, b - a), input.substr(b)}, max);
    check(split == whole, "splitting the input in three changed the outcome");

    std::vector<std::string_view> single_bytes;
    single_bytes.reserve(size);
    for (std::size_t i = 0; i < size; ++i)
        single_bytes.push_back(input.substr(i, 1));
    sse_parser byte_parser(max);
    const outcome byte_at_a_time = run(byte_parser, single_bytes, max);
    check(byte_at_a_time == whole, "feeding one byte at a time changed the outcome");

    // After reset (with or without an error), the parser is a new one.
    split_parser.reset();
    check(!split_parser.has_event() && !split_parser.has_partial_event() && split_parser.comments() == 0 &&
              split_parser.retry_ms() == -1,
          "reset left state behind");
    check(run(split_parser, {input}, max) == whole, "a reset parser differs from a new one");

    byte_parser.reset();
    const outcome simple = run(byte_parser, {"data: x\n\n"}, max);
    check(!simple.failed && simple.events.size() == 1 && simple.events[0] == event_copy{"message", "x", ""},
          "a reset parser does not parse a simple event");
    return 0;
}
