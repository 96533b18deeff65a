#ifndef DGRID_DETAIL_SSE_SSE_PARSER_IPP
#define DGRID_DETAIL_SSE_SSE_PARSER_IPP

#include <dgrid/detail/sse/sse_parser.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <system_error>

namespace dgrid::detail {

namespace sse {

// memchr is vectorized; std::string_view::find_first_of("\r\n") is a loop
// over the input calling memchr per byte.
inline const char* find(const char* first, const char* last, char c) noexcept {
    const auto* hit = static_cast<const char*>(std::memchr(first, c, static_cast<std::size_t>(last - first)));
    return hit ? hit : last;
}

// Whether `line` is a data line with a colon (`data:`), told apart without a
// search or a call: nearly every line of a stream is one.
inline bool starts_data_field(std::string_view line) noexcept {
    return line.size() >= 5 && line[0] == 'd' && line[1] == 'a' && line[2] == 't' && line[3] == 'a' && line[4] == ':';
}

// Buffers that grew for one huge event (an image) are not kept when the
// parser is reused for another stream.
constexpr std::size_t keep_capacity = 256u << 10;

inline void clear_buffer(std::string& s) {
    if (s.capacity() > keep_capacity)
        std::string().swap(s);
    else
        s.clear();
}

} // namespace sse

DGRID_DECL sse_parser::sse_parser(std::size_t max_event_size) : max_(max_event_size) {}

DGRID_DECL std::size_t sse_parser::parse(std::string_view input, error_code& ec) {
    ec = {};
    if (failed_) {
        ec = error::event_too_large;
        return 0;
    }
    if (has_event_) {
        // The views handed out for the last event die here, so only now may
        // its buffers be reused (clear keeps their capacity).
        has_event_ = false;
        data_viewed_ = false;
        data_.clear();
        type_.clear();
    }

    const char* const begin = input.data();
    const char* const end = begin + input.size();
    const char* p = begin;
    auto fail = [&] {
        failed_ = true;
        ec = error::event_too_large;
        return static_cast<std::size_t>(p - begin);
    };

    p = skip_start(p, end);
    if (const char* after = take_whole_data_event(p, end))
        return static_cast<std::size_t>(after - begin);

    // The next LF and CR at or after p, remembered between lines: searching
    // anew for each line would rescan the rest of the input once per line
    // whenever one of the two characters is absent. The CR is only looked for
    // before the LF, so `cr` is the line end (cr == lf when no CR comes first).
    const char* lf = nullptr;
    const char* cr = nullptr;
    while (p != end) {
        if (!lf || lf < p)
            lf = sse::find(p, end, '\n');
        if (!cr || cr < p)
            cr = sse::find(p, lf, '\r');
        const char* const eol = cr;
        if (eol == end) {
            copy_data_view();
            if (!hold_tail(p, end))
                return fail();
            return input.size();
        }

        if (!end_line(std::string_view(p, static_cast<std::size_t>(eol - p))))
            return fail();

        p = eol + 1;
        if (*eol == '\r') {
            if (p == end)
                cr_pending_ = true;
            else if (*p == '\n')
                ++p;
        }
        if (has_event_)
            return static_cast<std::size_t>(p - begin);
    }
    copy_data_view();
    return input.size();
}

DGRID_DECL sse_event sse_parser::event() const noexcept {
    return {type_.empty() ? std::string_view("message") : std::string_view(type_),
            data_viewed_ ? data_view_ : std::string_view(data_), id_};
}

DGRID_DECL bool sse_parser::has_partial_event() const noexcept {
    return !line_.empty() || data_line_ || (bom_matched_ != 0 && bom_matched_ != bom_settled) ||
           (!has_event_ && (!data_.empty() || data_viewed_));
}

DGRID_DECL void sse_parser::reset() {
    sse::clear_buffer(line_);
    sse::clear_buffer(data_);
    data_viewed_ = false;
    type_.clear();
    id_.clear();
    comments_ = 0;
    retry_ms_ = -1;
    data_line_size_ = 0;
    bom_matched_ = 0;
    data_line_ = false;
    cr_pending_ = false;
    has_event_ = false;
    failed_ = false;
}

// Nearly every event of a completion stream is one `data:` line and a blank
// line, LF-ended and whole in the input: it is taken here as the line loop of
// `parse` would take it (a view of the value), without going through it line
// by line. Returns where the event ends, or null to leave it to the loop.
DGRID_DECL const char* sse_parser::take_whole_data_event(const char* p, const char* end) {
    if (!line_.empty() || data_line_ || !data_.empty() || data_viewed_ || end - p < 7 ||
        !sse::starts_data_field(std::string_view(p, 5)))
        return nullptr;
    const char* const lf = sse::find(p, end, '\n');
    if (end - lf < 2 || lf[1] != '\n' || static_cast<std::size_t>(lf - p) > max_ || sse::find(p, lf, '\r') != lf)
        return nullptr;
    const char* value = p + 5;
    if (value != lf && *value == ' ')
        ++value;
    data_view_ = std::string_view(value, static_cast<std::size_t>(lf - value));
    data_viewed_ = true;
    has_event_ = true;
    return lf + 2;
}

// Skips what belongs to earlier inputs: the rest of a BOM, the LF of a CRLF.
DGRID_DECL const char* sse_parser::skip_start(const char* p, const char* end) {
    if (bom_matched_ != bom_settled)
        p = skip_bom(p, end);
    if (cr_pending_ && p != end) {
        cr_pending_ = false;
        if (*p == '\n')
            ++p;
    }
    return p;
}

DGRID_DECL const char* sse_parser::skip_bom(const char* p, const char* end) {
    static constexpr char bom[] = {'\xEF', '\xBB', '\xBF'};
    while (p != end) {
        if (*p != bom[bom_matched_]) {
            // Not a BOM after all: the bytes taken for one start the first line.
            line_.assign(bom, bom_matched_);
            bom_matched_ = bom_settled;
            return p;
        }
        ++p;
        if (++bom_matched_ == bom_settled)
            return p;
    }
    return p;
}

// The rest of a line whose end is in the input (all of it unless bytes were held).
DGRID_DECL bool sse_parser::end_line(std::string_view rest) {
    if (data_line_) {
        data_line_ = false;
        if (!append_data_value(rest.data(), rest.size()))
            return false;
        data_.push_back('\n');
        data_line_size_ = 0;
        return true;
    }
    if (line_.empty()) // the whole line is in the input: parsed in place, not copied
        return rest.size() <= max_ && take_line(rest, true);
    if (line_.size() + rest.size() > max_)
        return false;
    line_.append(rest);
    const bool ok = take_line(line_, false);
    line_.clear();
    return ok;
}

// Keeps the bytes of a line whose end is not in the input.
DGRID_DECL bool sse_parser::hold_tail(const char* p, const char* end) {
    const auto n = static_cast<std::size_t>(end - p);
    if (data_line_)
        return append_data_value(p, n);
    if (line_.size() + n > max_)
        return false;
    line_.append(p, n);
    // Once a held line is known to be a data line and its optional space is
    // decided, its value goes straight into data_: a data URI of several
    // megabytes arriving in many reads is then copied once, not twice, and
    // line_ does not keep the size of the largest line ever seen.
    if (line_.size() > 5 && sse::starts_data_field(line_)) {
        const std::size_t skip = line_[5] == ' ' ? 6 : 5;
        data_line_size_ = skip;
        data_line_ = true;
        const bool ok = append_data_value(line_.data() + skip, line_.size() - skip);
        line_.clear();
        return ok;
    }
    return true;
}

// Appends part of a data line's value, with the limits `take_line` applies to
// a whole line, so the outcome does not depend on where the input was split.
DGRID_DECL bool sse_parser::append_data_value(const char* p, std::size_t n) {
    copy_data_view();
    data_line_size_ += n;
    if (data_line_size_ > max_ || data_.size() + n > max_)
        return false;
    data_.append(p, n);
    return true;
}

// One complete line without its line end; false when the event grows too large.
DGRID_DECL bool sse_parser::take_line(std::string_view line, bool in_input) {
    if (line.empty()) {
        dispatch();
        return true;
    }
    if (line.front() == ':') {
        ++comments_;
        return true;
    }
    const bool data_line = sse::starts_data_field(line);
    const std::size_t colon = data_line ? 4 : std::min(line.find(':'), line.size());
    const std::string_view name(line.data(), colon);
    std::string_view value;
    if (colon != line.size()) {
        value = std::string_view(line.data() + colon + 1, line.size() - colon - 1);
        if (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
    }
    if (data_line || name == "data") { // `data` alone is a data line too, with an empty value
        // A first data line is within the limit, as its whole line is.
        if (in_input && data_.empty() && !data_viewed_) {
            data_view_ = value;
            data_viewed_ = true;
            return true;
        }
        copy_data_view();
        // data_ holds a '\n' after each line, dropped at dispatch: the limit
        // applies to what the event will hold.
        if (data_.size() + value.size() > max_)
            return false;
        data_.append(value);
        data_.push_back('\n');
    } else if (name == "event") {
        type_.assign(value);
    } else if (name == "id") {
        if (value.find('\0') == std::string_view::npos)
            id_.assign(value);
    } else if (name == "retry") {
        take_retry(value);
    }
    return true;
}

DGRID_DECL void sse_parser::take_retry(std::string_view value) noexcept {
    if (value.empty())
        return;
    for (char c : value)
        if (c < '0' || c > '9')
            return;
    long long ms = 0;
    // Too many digits for a long long: ignored like any other invalid value.
    if (std::from_chars(value.data(), value.data() + value.size(), ms).ec == std::errc())
        retry_ms_ = ms;
}

DGRID_DECL void sse_parser::dispatch() noexcept {
    if (data_viewed_) {
        has_event_ = true;
        return;
    }
    if (data_.empty()) {
        type_.clear();
        return;
    }
    data_.pop_back(); // the '\n' after the last data line
    has_event_ = true;
}

// The viewed data line goes into data_, as if it had been appended.
DGRID_DECL void sse_parser::copy_data_view() {
    if (!data_viewed_)
        return;
    data_viewed_ = false;
    data_.append(data_view_);
    data_.push_back('\n');
}

} // namespace dgrid::detail

#endif
