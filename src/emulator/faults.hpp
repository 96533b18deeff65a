#ifndef DGRID_EMULATOR_FAULTS_HPP
#define DGRID_EMULATOR_FAULTS_HPP

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

namespace dgrid::emulator {

/// The request header that asks the emulator to misbehave.
inline constexpr std::string_view fault_header = "X-Emulator-Fault";

/// How an error response carries its body.
enum class error_body {
    json,  ///< The OpenAI error object.
    html,  ///< An HTML page, as a proxy in front of the gateway sends.
    empty, ///< No body at all (`Content-Length: 0`).
    /// Express's shape, `{"error":"<type>","message":"...","status":N}`, and
    /// the content type `text/event-stream`, as one such server sends even to
    /// a plain request.
    express,
};

/// How a streamed HTTP/1.1 body is framed.
enum class body_framing {
    chunked,    ///< one chunk per event
    length,     ///< `Content-Length`, no chunks
    extensions, ///< two chunks per event with chunk extensions, and trailers
    malformed,  ///< a chunk-size line that is not hexadecimal after the first event
    close,      ///< neither: the body ends at the close
};

/// What one request's `X-Emulator-Fault` header asks for. The header is a list
/// of items separated by `,` (or `;`); every item applies:
///
/// | item                   | effect                                                            |
/// |------------------------|-------------------------------------------------------------------|
/// | `status=NNN`           | answer with that error status (400-599) and an error body         |
/// | `code=number`          | the error's `code` is the status as a JSON number                 |
/// | `should-retry=B`       | error responses carry `x-should-retry: B` (`true` or `false`)     |
/// | `html`                 | error bodies are HTML (default for `status=502`)                  |
/// | `empty-body`           | error bodies are empty                                            |
/// | `express`              | error bodies in Express's shape (`error` a string), served as     |
/// |                        | `text/event-stream`                                               |
/// | `error-in-200`         | the error of `status=NNN` is sent with status 200                 |
/// | `lone-surrogate`       | the reply's content ends with `\ud83d`, a surrogate without its   |
/// |                        | low half (in a stream: its last content token)                    |
/// | `reset-before-headers` | read the request, then reset the connection                       |
/// | `reset-mid-body`       | write the headers and half the body, then reset                   |
/// | `stall=N`              | wait N milliseconds before writing the response                   |
/// | `close-after-response` | close the connection after this response                          |
/// | `byte-at-a-time`       | write the response one byte per write (a chunked stream's last    |
/// |                        | chunk and trailers 2 ms apart)                                    |
/// | `fail-times=K`         | the faults apply to the first K requests of the group only        |
/// | `id=X`                 | names the group `fail-times` counts; default: the header itself   |
///
/// Items for streamed responses (`"stream": true`; a plain response ignores
/// them). K counts the token chunks (content, reasoning or tool-call fragment)
/// over all choices; a K beyond their number strikes after the last of them,
/// K = 0 right after the `role` chunks:
///
/// | item             | effect                                                                   |
/// |------------------|--------------------------------------------------------------------------|
/// | `stream-error=K` | after K token chunks an `{"error":{...}}` event; the body ends, no DONE  |
/// | `error-choices`  | that event also has `choices` with `finish_reason: "error"` (OpenRouter) |
/// | `no-done`        | the body ends after the last chunk, without `data: [DONE]`               |
/// | `utf16-split=N`  | the content is sent every N UTF-16 code units, non-ASCII as `\u` escapes, |
/// |                  | so that an emoji's two surrogates may fall into two events               |
/// | `stream-cut=K`   | after K token chunks the body ends; no `finish_reason`, no `[DONE]`      |
/// | `stream-reset=K` | after K token chunks the connection is reset                             |
/// | `stall-stream=N` | wait N milliseconds after the first token chunk                          |
/// | `keepalive`      | `: OPENROUTER PROCESSING` once, then `: PING` before every data event,   |
/// |                  | and every 50 ms of a `stall-stream`                                       |
/// | `crlf`           | CRLF line ends in the event stream                                       |
/// | `multi-data`     | each event's JSON split over two `data:` lines after its first comma     |
/// | `no-space`       | `data:{...}`, without the space after the colon                          |
/// | `framing=length` | the body has a `Content-Length` instead of the chunked encoding          |
/// | `framing=extensions` | each event in two chunks whose size lines carry extensions, and     |
/// |                  | trailer fields after the last chunk                                      |
/// | `framing=malformed` | after the first event, a chunk-size line that is not hexadecimal     |
/// | `framing=close`  | neither length nor chunks: the body ends when the server closes          |
///
/// With `framing=length`, a `stream-cut` body declares one byte more than it
/// sends, and the server closes the connection after it.
///
/// Of several `stream-error`/`stream-cut`/`stream-reset` the smallest K acts (on
/// a tie: reset, then error, then cut). On a stream `reset-mid-body` resets
/// after half of the token chunks, and `byte-at-a-time` applies to every chunk;
/// `status`, `stall` and `reset-before-headers` act before the stream begins.
///
/// `html`, `empty-body`, `express` and `code=number` shape any error, injected or not.
struct fault_plan {
    std::optional<unsigned> status;               ///< `status=NNN`
    bool code_as_number = false;                  ///< `code=number`
    std::optional<std::string> should_retry;      ///< `should-retry=true|false`
    std::optional<error_body> body;               ///< `html` / `empty-body` / `express`; unset: the status' default
    bool error_in_200 = false;                    ///< `error-in-200`
    bool lone_surrogate = false;                  ///< `lone-surrogate`
    bool reset_before_headers = false;            ///< `reset-before-headers`
    bool reset_mid_body = false;                  ///< `reset-mid-body`
    std::chrono::milliseconds stall{0};           ///< `stall=N`
    bool close_after_response = false;            ///< `close-after-response`
    bool byte_at_a_time = false;                  ///< `byte-at-a-time`
    std::optional<std::uint64_t> fail_times;      ///< `fail-times=K`
    std::string group;                            ///< `id=X`, or the whole header when `fail-times` has no id
    std::optional<std::uint64_t> stream_error;    ///< `stream-error=K`
    bool error_choices = false;                   ///< `error-choices`
    bool no_done = false;                         ///< `no-done`
    std::optional<std::uint64_t> utf16_split;     ///< `utf16-split=N`
    std::optional<std::uint64_t> stream_cut;      ///< `stream-cut=K`
    std::optional<std::uint64_t> stream_reset;    ///< `stream-reset=K`
    std::chrono::milliseconds stall_stream{0};    ///< `stall-stream=N`
    bool keepalive = false;                       ///< `keepalive`
    bool crlf = false;                            ///< `crlf`
    bool multi_data = false;                      ///< `multi-data`
    bool no_space = false;                        ///< `no-space`
    body_framing framing = body_framing::chunked; ///< `framing=length|extensions|malformed|close`

    /// How an error response of `error_status` is written under this plan.
    error_body body_for(unsigned error_status) const noexcept;
};

/// Parses an `X-Emulator-Fault` header value (an empty one asks for nothing).
/// Throws `std::invalid_argument` naming the first unknown or malformed item.
fault_plan parse_faults(std::string_view header);

/// Picks faults for a share of requests (`server_options::random_fault_rate`).
/// Thread-safe.
class random_faults {
public:
    random_faults(double rate, std::uint64_t seed) : rate_(rate), engine_(seed) {}

    /// An `X-Emulator-Fault` value for the next request: empty for most.
    std::string_view pick();

private:
    double rate_;
    std::mutex mutex_;
    std::mt19937_64 engine_;
};

/// Counts the requests of each `fail-times` group, so that a fault can fail a
/// request K times and then let its retry succeed. Thread-safe.
class fault_budget {
public:
    /// Whether `plan` still applies to the request at hand, counting it: always
    /// true without `fail-times`, else true for the first K requests of its group.
    bool admit(const fault_plan& plan);

private:
    std::mutex mutex_;
    std::unordered_map<std::string, std::uint64_t> seen_;
};

} // namespace dgrid::emulator

#endif
