#ifndef DGRID_EMULATOR_SERVER_OPTIONS_HPP
#define DGRID_EMULATOR_SERVER_OPTIONS_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dgrid::emulator {

/// How a `dgrid::emulator::server` listens and behaves. Every default suits an
/// in-process test: TLS on 127.0.0.1, a free port, one thread.
struct server_options {
    /// Serve HTTPS with a freshly generated CA and leaf certificate; false: plain HTTP.
    bool tls = true;

    /// The address to listen on (IPv4 or IPv6 literal).
    std::string host = "127.0.0.1";

    /// The port to listen on; 0 picks a free one (see `server::port()`).
    unsigned short port = 0;

    /// The only accepted bearer token (`Authorization: Bearer <api_key>`).
    std::string api_key = "emulator-key";

    /// After this many responses on one connection the server closes it; 0 = never.
    std::size_t max_requests_per_connection = 0;

    /// Whether a close the server decides on (`max_requests_per_connection`,
    /// `close-after-response`) is announced with `Connection: close` on the last
    /// response. False closes silently after it, like an idle timeout, so a
    /// client that reuses the connection sees its next request fail.
    bool announce_close = true;

    /// Speak TLS 1.2 at most, like a gateway behind an older terminator.
    bool tls_1_2_only = false;

    /// Subject alternative names of the leaf certificate: IP addresses become IP
    /// SANs, anything else DNS SANs.
    std::vector<std::string> certificate_names = {"localhost", "127.0.0.1"};

    /// Where to write the CA certificate (PEM); empty: a fresh file in the
    /// temporary directory, removed when the server is destroyed.
    std::filesystem::path ca_file;

    /// Delay before each token chunk (content, reasoning, tool-call fragment) of a
    /// streamed response; a request's `X-Emulator-Token-Delay-Ms` overrides it.
    std::chrono::milliseconds token_delay{0};

    /// Threads running the server's `io_context`; each connection has its own strand.
    unsigned threads = 1;

    /// Requests a minute each API key may make, as OpenAI limits them: a bucket
    /// of this many requests, refilled continuously, gives one to each request
    /// to `/v1/models` or `/v1/chat/completions` with the right key; a request
    /// that finds less than one is refused with 429 `rate_limit_exceeded` (type
    /// `requests`) and `Retry-After`. Answers to such requests carry
    /// `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests` and
    /// `x-ratelimit-reset-requests`. 0 = no limit; above 10^12 counts as 10^12.
    std::uint64_t requests_per_minute = 0;

    /// Tokens a minute each API key may use: a bucket of this many, refilled
    /// continuously, is charged each reply's `usage.total_tokens` (a stream's
    /// too, with or without its usage chunk), into debt if need be; a request
    /// that finds it at or below 0 is refused with 429 (type `tokens`). Answers
    /// carry the same three headers ending in `-tokens`. 0 = no limit; above
    /// 10^12 counts as 10^12.
    std::uint64_t tokens_per_minute = 0;

    /// The share (0 to 1) of requests without an `X-Emulator-Fault` header
    /// that get a fault anyway, chosen at random among `status=500`,
    /// `status=503` and `reset-before-headers`: an unreliable upstream for
    /// batch runs. 0 = none.
    double random_fault_rate = 0;

    /// Seeds the choice of those requests, so that a run can be repeated.
    std::uint64_t random_fault_seed = 1;
};

} // namespace dgrid::emulator

#endif
