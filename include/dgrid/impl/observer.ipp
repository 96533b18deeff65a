#ifndef DGRID_IMPL_OBSERVER_IPP
#define DGRID_IMPL_OBSERVER_IPP

#include <dgrid/observer.hpp>

#include <cstdlib>
#include <string>
#include <string_view>

namespace dgrid {
namespace detail {

// One line per event, each written by one fprintf (which locks the FILE, so
// the lines of concurrent calls do not mix). Only what the events carry is
// written: the API key and the request's headers never reach an observer.
class stream_logger final : public observer {
public:
    stream_logger(log_level level, std::FILE* out) : level_(level), out_(out) {}

    void on_attempt(const attempt_event& e) override {
        if (level_ == log_level::debug)
            line(e, "attempt " + std::to_string(e.attempt));
    }

    void on_connection(const connection_event& e) override {
        if (level_ != log_level::debug)
            return;
        if (e.reused)
            return line(e, "reused connection");
        std::string what = "new connection: connect " + ms(e.connect_time);
        if (e.handshake_time.count() > 0)
            what += ", TLS handshake " + ms(e.handshake_time) + (e.tls_resumed ? " (resumed)" : "");
        line(e, what);
    }

    void on_response_head(const response_head_event& e) override {
        std::string what = "HTTP " + std::to_string(e.http_status);
        if (!e.request_id.empty())
            what.append(" ").append(e.request_id);
        line(e, what + " (attempt " + std::to_string(e.attempt) + ")");
    }

    void on_first_token(const delta_event& e) override {
        if (level_ == log_level::debug)
            line(e, "first token");
    }

    void on_delta(const delta_event& e) override {
        line(e, "delta " + std::to_string(e.index) + ", " + std::to_string(e.text_size) + " bytes");
    }

    void on_retry(const retry_event& e) override {
        line(e, "attempt " + std::to_string(e.attempt) + " failed (" + e.reason.message() + "), retry in " +
                    std::to_string(e.delay.count()) + " ms");
    }

    void on_end(const end_event& e) override {
        std::string what = e.ec ? "failed: " + e.ec.message() : std::string("done");
        if (e.diag && !e.diag->message.empty())
            what.append(" (").append(e.diag->message).append(")");
        what += ", " + std::to_string(e.attempts) + (e.attempts == 1 ? " attempt" : " attempts");
        if (e.usage && *e.usage && (*e.usage)->total_tokens)
            what += ", " + std::to_string(*(*e.usage)->total_tokens) + " tokens";
        line(e, what);
    }

    bool wants_deltas() const override { return level_ == log_level::debug; }

private:
    static std::string ms(std::chrono::steady_clock::duration d) {
        const auto tenths = std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 100;
        return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " ms";
    }

    static std::string_view kind_name(call_kind kind) {
        switch (kind) {
        case call_kind::chat: return "chat";
        case call_kind::chat_stream: return "stream";
        case call_kind::list_models: return "models";
        }
        return "call";
    }

    void line(const call_event& e, const std::string& what) const {
        const std::string_view kind = kind_name(e.kind);
        std::fprintf(out_, "dgrid: call %llu %.*s%s%.*s at %s: %s\n", static_cast<unsigned long long>(e.id),
                     static_cast<int>(kind.size()), kind.data(), e.model.empty() ? "" : " ",
                     static_cast<int>(e.model.size()), e.model.data(), ms(e.elapsed).c_str(), what.c_str());
    }

    log_level level_;
    std::FILE* out_;
};

} // namespace detail

DGRID_DECL std::shared_ptr<observer> make_logger(log_level level, std::FILE* out) {
    return std::make_shared<detail::stream_logger>(level, out);
}

DGRID_DECL std::optional<log_level> log_level_from_environment() {
    const char* value = std::getenv("DGRID_LOG");
    if (!value)
        return std::nullopt;
    const std::string_view level(value);
    if (level == "info")
        return log_level::info;
    if (level == "debug")
        return log_level::debug;
    return std::nullopt;
}

} // namespace dgrid

#endif
