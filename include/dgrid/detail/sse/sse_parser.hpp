#ifndef DGRID_DETAIL_SSE_SSE_PARSER_HPP
#define DGRID_DETAIL_SSE_SSE_PARSER_HPP

#include <dgrid/detail/config.hpp>
#include <dgrid/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace dgrid::detail {

// One dispatched server-sent event. Views into the parser, or into the input
// of the `parse` call that completed the event (a data line that was whole in
// it is not copied): valid until the next call to `parse` or `reset`, and
// while that input is unchanged.
struct sse_event {
    std::string_view type; // the `event:` field, "message" when none was given
    std::string_view data; // the `data:` lines joined with '\n'
    std::string_view id;   // the last event id (it persists across events)
};

// A sans-io reader of `text/event-stream` following the WHATWG rules: LF, CRLF
// and CR line ends (a CRLF may be split across inputs); a leading UTF-8 BOM
// skipped; `data:` with or without one space after the colon; several data
// lines joined with '\n'; comment lines (starting with ':') ignored but
// counted; `event:`, `id:` (ignored when it holds NUL) and `retry:`
// (digits only) fields; unknown fields ignored; an event with no data is not
// dispatched. Memory is reused from event to event.
class sse_parser {
public:
    // `max_event_size`: the most bytes one event's data, and one line (without
    // its line end), may take; past it `parse` fails with `error::event_too_large`.
    DGRID_DECL explicit sse_parser(std::size_t max_event_size = 32u << 20);

    // Consumes bytes from `input` until one event is complete or the input is
    // used up, and returns how many it consumed (feed the rest in again after
    // taking the event). Bytes of an incomplete line are kept inside. After
    // `error::event_too_large` every call fails the same way until `reset`.
    DGRID_DECL std::size_t parse(std::string_view input, error_code& ec);

    // True when the last `parse` completed an event.
    bool has_event() const noexcept { return has_event_; }

    // The completed event; only while `has_event()`.
    DGRID_DECL sse_event event() const noexcept;

    // Comment lines seen so far (keep-alives such as ": PING").
    std::size_t comments() const noexcept { return comments_; }

    // The last valid `retry:` value in milliseconds, -1 when none.
    long long retry_ms() const noexcept { return retry_ms_; }

    // True when bytes of an unfinished line, or data lines of an event not yet
    // dispatched, are held: at the end of the stream they are lost (the WHATWG
    // rules discard such an event). Fields without data lose nothing.
    DGRID_DECL bool has_partial_event() const noexcept;

    // Back to the state of a new stream.
    DGRID_DECL void reset();

private:
    // Bytes of a UTF-8 BOM matched at the start of the stream; 3 when that
    // question is settled (a BOM was skipped or the stream began otherwise).
    static constexpr unsigned char bom_settled = 3;

    DGRID_DECL const char* skip_start(const char* p, const char* end);
    DGRID_DECL const char* take_whole_data_event(const char* p, const char* end);
    DGRID_DECL const char* skip_bom(const char* p, const char* end);
    DGRID_DECL bool end_line(std::string_view rest);
    DGRID_DECL bool hold_tail(const char* p, const char* end);
    DGRID_DECL bool append_data_value(const char* p, std::size_t n);
    DGRID_DECL bool take_line(std::string_view line, bool in_input);
    DGRID_DECL void copy_data_view();
    DGRID_DECL void take_retry(std::string_view value) noexcept;
    DGRID_DECL void dispatch() noexcept;

    std::size_t max_;
    std::string line_; // the start of a line whose end has not arrived yet
    std::string data_; // data lines of the event, each followed by '\n'
    // The event's only data line so far, in the input of this `parse` call:
    // copied into data_ when another comes or the input runs out first.
    std::string_view data_view_;
    bool data_viewed_ = false;
    std::string type_; // empty means "message"
    std::string id_;
    std::size_t comments_ = 0;
    long long retry_ms_ = -1;
    std::size_t data_line_size_ = 0; // bytes so far of the data line streamed into data_
    unsigned char bom_matched_ = 0;
    bool data_line_ = false;  // the unfinished line is a data line: its value goes straight into data_
    bool cr_pending_ = false; // the last input ended with a CR: a LF first in the next one belongs to it
    bool has_event_ = false;
    bool failed_ = false;
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/sse/sse_parser.ipp>
#endif

#endif
