#ifndef DGRID_EXAMPLES_CHAT_SERVER_METRICS_HPP
#define DGRID_EXAMPLES_CHAT_SERVER_METRICS_HPP

// What the client saw of its calls, as an observer, written out in the
// Prometheus text format for GET /metrics: calls by kind, errors by code,
// time to first token and inter-token histograms, and the pool's gauges.
// The hooks may come from every thread that runs the server, so a mutex
// guards the figures.

#include <dgrid/error.hpp>
#include <dgrid/observer.hpp>
#include <dgrid/pool_stats.hpp>

#include <boost/describe/enum_to_string.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

namespace chat_server {

// A Prometheus histogram of seconds with fixed bounds.
class seconds_histogram {
public:
    void add(std::chrono::steady_clock::duration d) {
        const double s = std::chrono::duration<double>(d).count();
        for (std::size_t i = 0; i < bounds.size(); ++i)
            if (s <= bounds[i])
                ++counts_[i];
        sum_ += s;
        ++count_;
    }

    void write(std::ostream& out, const std::string& name, const std::string& help) const {
        out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " histogram\n";
        for (std::size_t i = 0; i < bounds.size(); ++i)
            out << name << "_bucket{le=\"" << bounds[i] << "\"} " << counts_[i] << '\n';
        out << name << "_bucket{le=\"+Inf\"} " << count_ << '\n'
            << name << "_sum " << sum_ << '\n'
            << name << "_count " << count_ << '\n';
    }

private:
    static constexpr std::array<double, 10> bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
    std::array<std::uint64_t, bounds.size()> counts_{}; // cumulative, as Prometheus wants
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

class metrics : public dgrid::observer {
public:
    void on_attempt(const dgrid::attempt_event& e) override {
        std::lock_guard lock(mutex_);
        ++requests_[kind_name(e.kind)];
    }

    void on_first_token(const dgrid::delta_event& e) override {
        std::lock_guard lock(mutex_);
        first_token_.add(e.elapsed);
        last_token_[e.id] = e.elapsed;
    }

    void on_delta(const dgrid::delta_event& e) override {
        std::lock_guard lock(mutex_);
        auto [last, fresh] = last_token_.try_emplace(e.id, e.elapsed);
        if (!fresh) {
            inter_token_.add(e.elapsed - last->second);
            last->second = e.elapsed;
        }
    }

    void on_end(const dgrid::end_event& e) override {
        std::lock_guard lock(mutex_);
        last_token_.erase(e.id);
        if (e.ec)
            ++errors_[error_name(e.ec)];
    }

    bool wants_deltas() const override { return true; }

    // The text of GET /metrics, with the pool's gauges as `pool` says.
    std::string text(const dgrid::pool_stats& pool) const {
        std::ostringstream out;
        std::lock_guard lock(mutex_);
        out << "# HELP dgrid_requests_total Requests sent to the gateway (retries included), by call.\n"
               "# TYPE dgrid_requests_total counter\n";
        for (const auto& [kind, n] : requests_)
            out << "dgrid_requests_total{call=\"" << kind << "\"} " << n << '\n';
        out << "# HELP dgrid_errors_total Calls that failed, by error.\n# TYPE dgrid_errors_total counter\n";
        for (const auto& [code, n] : errors_)
            out << "dgrid_errors_total{code=\"" << code << "\"} " << n << '\n';
        first_token_.write(out, "dgrid_time_to_first_token_seconds", "From a stream's start to its first token.");
        inter_token_.write(out, "dgrid_inter_token_seconds", "Between two tokens of a stream.");
        out << "# HELP dgrid_pool_connections Connections to the gateway, by state.\n"
               "# TYPE dgrid_pool_connections gauge\n"
            << "dgrid_pool_connections{state=\"open\"} " << pool.open << '\n'
            << "dgrid_pool_connections{state=\"idle\"} " << pool.idle << '\n'
            << "# HELP dgrid_pool_waiting Requests waiting for a connection.\n# TYPE dgrid_pool_waiting gauge\n"
            << "dgrid_pool_waiting " << pool.waiting << '\n'
            << "# HELP dgrid_tls_handshakes_total TLS handshakes with the gateway.\n"
               "# TYPE dgrid_tls_handshakes_total counter\n"
            << "dgrid_tls_handshakes_total " << pool.tls_handshakes << '\n';
        return out.str();
    }

private:
    static const char* kind_name(dgrid::call_kind k) {
        switch (k) {
        case dgrid::call_kind::chat: return "chat";
        case dgrid::call_kind::chat_stream: return "chat_stream";
        case dgrid::call_kind::list_models: return "list_models";
        }
        return "other";
    }

    // `rate_limited` for the library's errors, `category:value` for others.
    static std::string error_name(dgrid::error_code ec) {
        if (ec.category() == dgrid::error_category())
            if (const char* name = boost::describe::enum_to_string(static_cast<dgrid::error>(ec.value()), nullptr))
                return name;
        return std::string(ec.category().name()) + ":" + std::to_string(ec.value());
    }

    mutable std::mutex mutex_;
    std::map<std::string, std::uint64_t> requests_;
    std::map<std::string, std::uint64_t> errors_;
    seconds_histogram first_token_;
    seconds_histogram inter_token_;
    std::map<std::uint64_t, std::chrono::steady_clock::duration> last_token_; // by call, while it streams
};

} // namespace chat_server

#endif
