#ifndef DGRID_DETAIL_HTTP_BODY_FRAMING_HPP
#define DGRID_DETAIL_HTTP_BODY_FRAMING_HPP

// Internal: where the body of an HTTP/1.1 response is among the bytes read
// after its header (RFC 9112 sections 6 and 7), for a stream that reads its
// body straight out of the connection's read buffer.

#include <dgrid/detail/json/hex_digit.hpp>
#include <dgrid/error.hpp>

#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dgrid::detail {

// A sans-io reader of a body's framing: chunked, a Content-Length, or
// everything up to the close. It is shown the bytes read so far and tells
// which of them are framing (to be dropped) and which are body.
class body_framing {
public:
    // The chunk-size line with its extensions, and the trailer section, may
    // take this many bytes each; a server sending more is not speaking HTTP.
    static constexpr std::size_t max_line_size = 4096;

    static body_framing chunked() noexcept { return body_framing(state::size, 0); }
    static body_framing length(std::uint64_t n) noexcept { return body_framing(n == 0 ? state::done : state::data, n); }
    static body_framing until_close() noexcept { return body_framing(state::until_close, 0); }

    // Reads the framing at the start of `input`, whose first `framing` bytes
    // it was (the caller drops them), and returns the body bytes right after
    // it: a prefix of the rest of `input`, empty when the body needs more
    // input or ended. `take(n)` tells how many of them the caller used before
    // the next call. `ec`: http::error::bad_chunk for malformed framing.
    std::string_view body(std::string_view input, std::size_t& framing, error_code& ec) noexcept {
        framing = 0;
        while (framing < input.size() && state_ != state::data && state_ != state::until_close &&
               state_ != state::done) {
            if (!step(input[framing++])) {
                ec = boost::beast::http::error::bad_chunk;
                return {};
            }
        }
        std::string_view rest = input.substr(framing);
        if (state_ == state::until_close)
            return rest;
        if (state_ != state::data)
            return {};
        return rest.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(left_, rest.size())));
    }

    // The caller used `n` bytes of the body returned last.
    void take(std::size_t n) noexcept {
        if (state_ != state::data)
            return;
        left_ -= n;
        if (left_ == 0)
            state_ = chunked_ ? state::data_cr : state::done;
    }

    // The whole body was read.
    bool done() const noexcept { return state_ == state::done; }

    // The body runs up to the close.
    bool ends_at_close() const noexcept { return state_ == state::until_close; }

    // The connection closed: true when that ended the body (one that runs up
    // to the close, done from then on); any other body was cut short.
    bool close() noexcept {
        if (state_ != state::until_close)
            return false;
        state_ = state::done;
        return true;
    }

private:
    enum class state : std::uint8_t {
        size,       // hex digits of a chunk size
        size_space, // spaces after them
        extension,  // after the `;`, up to the CR
        size_lf,    // the LF of the chunk-size line
        data,       // `left_` bytes of body
        data_cr,    // the CRLF after a chunk's data
        data_lf,
        trailer,      // a trailer field line, or the empty line that ends the body
        trailer_line, // inside a trailer field line
        trailer_lf,   // the LF of a trailer field line
        last_lf,      // the LF of the empty line
        until_close,
        done
    };

    body_framing(state s, std::uint64_t left) noexcept : left_(left), state_(s), chunked_(s == state::size) {}

    // After the size: spaces, then `;` and an extension, or the line's end.
    bool after_size(char c) noexcept {
        switch (c) {
        case '\r': state_ = state::size_lf; return true;
        case ';': state_ = state::extension; return true;
        case ' ':
        case '\t': state_ = state::size_space; return true;
        default: return false;
        }
    }

    // One byte of framing; false when it is malformed.
    bool step(char c) noexcept {
        if (++line_ > max_line_size)
            return false;
        switch (state_) {
        case state::size: {
            const int digit = hex_digit_value(c);
            if (digit >= 0) {
                // A size of 2^60 or more (16 hex digits, leading zeros
                // aside) is beyond any body we would read, and far from
                // overflowing.
                if (left_ >= (std::uint64_t(1) << 56))
                    return false;
                ++digits_;
                left_ = left_ * 16 + static_cast<std::uint64_t>(digit);
                return true;
            }
            if (digits_ == 0)
                return false;
            return after_size(c);
        }
        case state::size_space: return after_size(c);
        case state::extension:
            if (c == '\r')
                state_ = state::size_lf;
            else if (c == '\n' || (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
                return false;
            return true;
        case state::size_lf:
            if (c != '\n')
                return false;
            line_ = 0;
            digits_ = 0;
            state_ = left_ == 0 ? state::trailer : state::data;
            return true;
        case state::data_cr: state_ = state::data_lf; return c == '\r';
        case state::data_lf:
            if (c != '\n')
                return false;
            line_ = 0;
            state_ = state::size;
            return true;
        case state::trailer:
            if (c == '\r') {
                state_ = state::last_lf;
                return true;
            }
            state_ = state::trailer_line;
            return c != '\n';
        case state::trailer_line:
            if (c == '\r')
                state_ = state::trailer_lf;
            return c != '\n';
        case state::trailer_lf: state_ = state::trailer; return c == '\n';
        case state::last_lf: state_ = state::done; return c == '\n';
        case state::data:
        case state::until_close:
        case state::done: break;
        }
        return false;
    }

    std::uint64_t left_;   // bytes of the current chunk, or of the body, not yet read
    std::size_t line_ = 0; // bytes of the current framing line (or trailer section)
    unsigned digits_ = 0;  // hex digits of the chunk size so far
    state state_;
    bool chunked_;
};

} // namespace dgrid::detail

#endif
