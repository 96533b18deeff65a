// Runs N streams at once and prints what an observer saw of them: time to
// first token and inter-token latency percentiles, and tokens per second.
//
//   example_metrics [streams] [model] [question]
//
// See ../example_env.hpp for the environment it reads.

#include "../example_env.hpp"

#include <dgrid/dgrid.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using duration = std::chrono::steady_clock::duration;

// What the client reports of its streams. The context runs on one thread
// here, so the hooks need no lock.
class latency_recorder : public dgrid::observer {
public:
    void on_first_token(const dgrid::delta_event& e) override { first_tokens.push_back(e.elapsed); }

    // The gap since the stream's previous token.
    void on_delta(const dgrid::delta_event& e) override {
        auto [last, fresh] = last_token_.try_emplace(e.id, e.elapsed);
        if (!fresh) {
            gaps.push_back(e.elapsed - last->second);
            last->second = e.elapsed;
        }
    }

    void on_end(const dgrid::end_event& e) override {
        last_token_.erase(e.id);
        if (e.ec) {
            ++failed;
            return;
        }
        ++succeeded;
        if (e.usage && *e.usage)
            completion_tokens += (*e.usage)->completion_tokens.value_or(0);
    }

    bool wants_deltas() const override { return true; }

    std::vector<duration> first_tokens;
    std::vector<duration> gaps;
    std::size_t succeeded = 0;
    std::size_t failed = 0;
    std::int64_t completion_tokens = 0;

private:
    std::map<std::uint64_t, duration> last_token_; // per call id
};

// "p50 1.2 ms, p90 ..., p99 ..." of `values`.
std::string percentiles(std::vector<duration> values) {
    if (values.empty())
        return "none";
    std::sort(values.begin(), values.end());
    std::string text;
    for (int p : {50, 90, 99}) {
        const std::size_t at = std::min(values.size() - 1, values.size() * static_cast<std::size_t>(p) / 100);
        char part[48];
        std::snprintf(part, sizeof part, "%sp%d %.1f ms", text.empty() ? "" : ", ", p,
                      std::chrono::duration<double, std::milli>(values[at]).count());
        text += part;
    }
    return text;
}

asio::awaitable<void> one_stream(dgrid::client& client, const dgrid::chat_request& request) {
    try {
        dgrid::chat_stream stream = co_await client.async_chat_stream(request);
        while (co_await stream.async_next()) {
        }
    } catch (const dgrid::error_with_diagnostics&) {
        // counted by the observer's on_end
    }
}

int main(int argc, char** argv) {
    const int streams = argc > 1 ? std::atoi(argv[1]) : 50;
    dgrid::chat_request request;
    request.model = argc > 2 ? argv[2] : "openai/gpt-4o-mini";
    request.messages.push_back(dgrid::message::user(argc > 3 ? argv[3] : "Count from one to twenty in words."));
    request.max_tokens = 200;
    try {
        asio::io_context io;
        auto recorder = std::make_shared<latency_recorder>();
        dgrid::client_options options = options_from_environment();
        options.observer = recorder;
        options.thread_safe = false; // one thread runs the context
        dgrid::client client(io, options);
        const auto started = std::chrono::steady_clock::now();
        for (int i = 0; i < streams; ++i)
            asio::co_spawn(io, one_stream(client, request), asio::detached);
        io.run();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cout << streams << " streams, " << recorder->succeeded << " ok, " << recorder->failed << " failed, in "
                  << seconds << " s\n"
                  << "time to first token: " << percentiles(recorder->first_tokens) << '\n'
                  << "inter-token latency: " << percentiles(recorder->gaps) << '\n'
                  << "tokens/s: " << static_cast<double>(recorder->completion_tokens) / seconds << '\n';
        return recorder->failed == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
}
