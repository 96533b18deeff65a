#ifndef DGRID_EMULATOR_STREAM_EVENTS_HPP
#define DGRID_EMULATOR_STREAM_EVENTS_HPP

#include "emulator/chat_reply.hpp"
#include "emulator/faults.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dgrid::emulator {

/// What a chunk of a streamed reply carries; faults count `token` events.
enum class event_kind {
    role,   ///< the first chunk of a choice: `{"role":"assistant","content":""}`
    token,  ///< a content or reasoning token, or a tool-call fragment
    finish, ///< a choice's last chunk: empty delta and its `finish_reason`
    usage,  ///< `"choices":[]` with the usage (`stream_options.include_usage`)
    done,   ///< `[DONE]`
};

/// One server-sent event before framing: its kind and its `data` text.
struct stream_event {
    event_kind kind = event_kind::token; ///< what the event carries
    std::string data;                    ///< a `chat.completion.chunk` JSON text, or `[DONE]`
};

/// `text` cut into tokens: each word with the whitespace after it (leading
/// whitespace stays with the first word), so the tokens concatenate to `text`.
/// Empty text has no tokens.
std::vector<std::string_view> split_tokens(std::string_view text);

/// `reply` as the events of a stream, without faults: per choice the role
/// chunk, the reasoning tokens, the content tokens (a data URI image as one
/// piece), the tool calls (id and name first, then the arguments in fragments of
/// about 8 bytes), and the finish chunk; the choices interleaved round robin;
/// then the usage chunk when `include_usage`, and `[DONE]`. Accumulated, the
/// deltas give back exactly what `to_completion_json(reply)` says. The faults
/// `utf16-split`, `lone-surrogate` and `no-done` of `faults` change them.
std::vector<stream_event> to_stream_events(const chat_reply& reply, bool include_usage, const fault_plan& faults);

/// The `data` of the event `stream-error` injects: the OpenAI error object of
/// an upstream failure after the first tokens, `with_choices` also the chunk
/// members and a choice with `finish_reason: "error"` (`error-choices`).
std::string stream_error_data(const chat_reply& reply, bool with_choices);

/// How events are framed on the wire; each member is the fault of that name.
struct sse_framing {
    bool crlf = false;       ///< `\r\n` line ends instead of `\n`
    bool no_space = false;   ///< `data:` without the space
    bool multi_data = false; ///< the data split over two `data:` lines after its first structural comma
    bool keepalive = false;  ///< a `: PING` comment before every event
};

/// One event as bytes: `data: <data>\n\n` under `framing`.
std::string frame_event(std::string_view data, const sse_framing& framing);

/// The index into `events` at which a stream fault with count `k` strikes:
/// just after the k-th `token` event, after the last one when there are fewer,
/// and after the leading `role` events when `k` is 0 or there are no tokens.
std::size_t strike_position(const std::vector<stream_event>& events, std::uint64_t k);

/// A pause, then bytes of the event stream (one HTTP chunk; none when empty).
struct stream_step {
    std::chrono::milliseconds delay{0}; ///< how long to wait before writing
    std::string bytes;                  ///< framed events; empty: only wait
};

/// How the body of a stream ends after its last step.
enum class stream_end {
    terminating_chunk, ///< properly, with the zero-length chunk (after `[DONE]` or a cut)
    reset,             ///< with a TCP reset, no terminating chunk
};

/// A whole streamed response body, timing and faults included, decided before
/// the first byte is written so that the server only waits and writes.
struct stream_script {
    std::vector<stream_step> steps; ///< in order
    stream_end end = stream_end::terminating_chunk;
};

/// The script for streaming `reply`: `token_delay` before every token event,
/// and the stream faults of `faults` (`stream-error`, `error-choices`, `no-done`,
/// `utf16-split`, `lone-surrogate`, `stream-cut`,
/// `stream-reset`, `reset-mid-body`, `stall-stream`, `keepalive`, `crlf`,
/// `multi-data`, `no-space`; see `faults.hpp`) acted out.
stream_script make_stream_script(const chat_reply& reply, bool include_usage, std::chrono::milliseconds token_delay,
                                 const fault_plan& faults);

} // namespace dgrid::emulator

#endif
