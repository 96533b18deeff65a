// The client's observer: every event of a call, in order and once, for calls,
// streams and model lists; and the logger built on it (make_logger,
// DGRID_LOG), which never writes the API key.

#include "fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <unistd.h>

using namespace dgrid;
using namespace dgrid::test;
using std::chrono::milliseconds;

namespace {

// Every event as one line, with the fields a test looks at.
class recorder : public observer {
public:
    explicit recorder(bool deltas = false) : deltas_(deltas) {}

    void on_attempt(const attempt_event& e) override { add(e, "attempt " + std::to_string(e.attempt)); }
    void on_connection(const connection_event& e) override {
        add(e, std::string(e.reused ? "reused" : "new") + (e.tls_resumed ? " resumed" : ""));
        if (!e.reused)
            handshakes_timed = handshakes_timed && e.handshake_time.count() > 0 && e.connect_time.count() > 0;
    }
    void on_response_head(const response_head_event& e) override {
        add(e, "head " + std::to_string(e.http_status) + (e.request_id.empty() ? " no id" : ""));
    }
    void on_first_token(const delta_event& e) override { add(e, "first token " + std::to_string(e.index)); }
    void on_delta(const delta_event& e) override {
        add(e, "delta " + std::to_string(e.index));
        delta_bytes += e.text_size;
    }
    void on_retry(const retry_event& e) override { add(e, "retry " + e.reason.message()); }
    void on_end(const end_event& e) override {
        std::string what = "end " + (e.ec ? e.ec.message() : std::string("ok")) + " " + std::to_string(e.attempts);
        if (e.usage && *e.usage)
            what += " usage";
        if (e.diag)
            what += " diag";
        add(e, what);
    }
    bool wants_deltas() const override { return deltas_; }

    std::vector<std::string> lines() {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    // An event's call, kept: what an event holds lives only for its hook.
    struct recorded {
        std::uint64_t id;
        call_kind kind;
        std::string model;
        std::chrono::steady_clock::duration elapsed;
    };

    std::vector<recorded> events() {
        std::lock_guard lock(mutex_);
        return events_;
    }

    std::size_t delta_bytes = 0;
    bool handshakes_timed = true;

private:
    void add(const call_event& e, std::string line) {
        std::lock_guard lock(mutex_);
        events_.push_back({e.id, e.kind, std::string(e.model), e.elapsed});
        lines_.push_back(std::move(line));
    }

    bool deltas_;
    std::mutex mutex_;
    std::vector<std::string> lines_;
    std::vector<recorded> events_;
};

client_options retrying(const emulator_fixture& f, std::shared_ptr<observer> o) {
    auto options = f.client_options_for();
    options.observer = std::move(o);
    options.retry.max_retries = 1;
    options.retry.initial_backoff = milliseconds(1);
    options.retry.max_retry_after = milliseconds(1);
    return options;
}

using lines = std::vector<std::string>;

// The text a file holds.
std::string read_all(std::FILE* file) {
    std::fflush(file);
    std::rewind(file);
    std::string text;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;)
        text.append(buffer, n);
    return text;
}

} // namespace

BOOST_AUTO_TEST_SUITE(observer_tests)

BOOST_FIXTURE_TEST_CASE(a_retried_call_in_order, emulator_fixture) {
    auto seen = std::make_shared<recorder>();
    auto c = make_client(retrying(*this, seen));
    auto result = chat(c, with_fault(echo_request("observed"), "status=503,fail-times=1,id=observed-call"));
    BOOST_TEST(!result.ec);
    // The 503's body was read whole: its connection serves the retry.
    BOOST_TEST(seen->lines() == (lines{"attempt 1", "new", "head 503",
                                       "retry " + make_error_code(error::service_unavailable).message(), "attempt 2",
                                       "reused", "head 200", "end ok 2 usage"}),
               boost::test_tools::per_element());
    BOOST_TEST(seen->handshakes_timed);
    const auto events = seen->events();
    for (std::size_t i = 0; i < events.size(); ++i) {
        BOOST_TEST(events[i].id == events[0].id);
        BOOST_TEST(events[i].model == "emulator/echo");
        BOOST_TEST((events[i].kind == call_kind::chat));
        if (i > 0)
            BOOST_TEST((events[i].elapsed >= events[i - 1].elapsed));
    }
}

BOOST_FIXTURE_TEST_CASE(a_stream_s_tokens_and_its_one_end, emulator_fixture) {
    auto seen = std::make_shared<recorder>(true);
    auto options = client_options_for();
    options.observer = seen;
    options.pool.max_requests_per_connection = 1; // each call on a new connection: TLS resumes
    auto c = make_client(options);
    auto result = stream(c, echo_request("one two three"));
    BOOST_TEST(result.text == "one two three");
    BOOST_TEST(seen->lines() == (lines{"attempt 1", "new", "head 200", "first token 0", "delta 0", "delta 1", "delta 2",
                                       "end ok 1 usage"}),
               boost::test_tools::per_element());
    BOOST_TEST(seen->delta_bytes == std::string("one two three").size());
    BOOST_TEST((seen->events().front().kind == call_kind::chat_stream));

    // A model list, on a new connection that resumed the first one's session.
    auto before = seen->lines().size();
    auto models = run([&]() -> asio::awaitable<model_list> { co_return co_await c.async_list_models(); }());
    BOOST_TEST(!models.data.empty());
    const auto all = seen->lines();
    BOOST_TEST((lines(all.begin() + before, all.end()) == lines{"attempt 1", "new resumed", "head 200", "end ok 1"}),
               boost::test_tools::per_element());
    BOOST_TEST(seen->events().back().model.empty());
    BOOST_TEST((seen->events().back().kind == call_kind::list_models));
    BOOST_TEST(seen->events().back().id == seen->events().front().id + 1);
}

// The end comes once, whichever way a stream ends: refused when opened, cut
// after part of the answer, or dropped by its owner half-way.
BOOST_FIXTURE_TEST_CASE(a_stream_ends_once_however_it_ends, emulator_fixture) {
    auto seen = std::make_shared<recorder>();
    auto options = client_options_for();
    options.observer = seen;
    auto c = make_client(options);
    auto ends = [&] {
        std::vector<std::string> found;
        for (const std::string& line : seen->lines())
            if (line.rfind("end ", 0) == 0)
                found.push_back(line);
        return found;
    };

    BOOST_TEST(stream(c, with_fault(echo_request("x"), "status=400")).ec == error::bad_request);
    BOOST_TEST(ends() == (lines{"end " + make_error_code(error::bad_request).message() + " 1 diag"}),
               boost::test_tools::per_element());

    BOOST_TEST(stream(c, with_fault(echo_request("a b c d"), "stream-cut=2")).ec == error::stream_truncated);
    BOOST_TEST(ends().size() == 2u);
    BOOST_TEST(ends().back().rfind("end " + make_error_code(error::stream_truncated).message() + " 1", 0) == 0u,
               ends().back());

    run([&]() -> asio::awaitable<void> {
        const test_call slow = with_token_delay(echo_request("a b c d e f"), 50);
        auto half = co_await c.async_chat_stream(slow.request, slow.options);
        co_await half.async_next();
        co_await half.async_next();
    }()); // dropped here
    BOOST_TEST(ends().size() == 3u);
    BOOST_TEST(ends().back() == "end " + asio::error::make_error_code(asio::error::operation_aborted).message() + " 1");
}

// What the logger writes at each level, and that it never writes the key.
BOOST_FIXTURE_TEST_CASE(the_logger_s_lines, emulator_fixture) {
    for (const log_level level : {log_level::info, log_level::debug}) {
        std::FILE* file = std::tmpfile();
        BOOST_TEST_REQUIRE(file);
        auto c = make_client(retrying(*this, make_logger(level, file)));
        auto result = chat(c, with_fault(echo_request("logged"), "status=503,fail-times=1,id=logged-" +
                                                                     std::to_string(static_cast<int>(level))));
        BOOST_TEST(!result.ec);
        BOOST_TEST(!stream(c, echo_request("streamed")).ec);
        const std::string text = read_all(file);
        std::fclose(file);
        BOOST_TEST_MESSAGE(text);
        BOOST_TEST(text.find("dgrid: call 1 chat emulator/echo at ") != std::string::npos);
        BOOST_TEST(text.find("HTTP 503 req-") != std::string::npos);
        const std::string unavailable = make_error_code(error::service_unavailable).message();
        BOOST_TEST(text.find("attempt 1 failed (" + unavailable + "), retry in ") != std::string::npos);
        BOOST_TEST(text.find("HTTP 200 req-") != std::string::npos);
        BOOST_TEST(text.find(": done, 2 attempts, ") != std::string::npos);
        BOOST_TEST(text.find("dgrid: call 2 stream emulator/echo") != std::string::npos);
        const bool debug = level == log_level::debug;
        BOOST_TEST((text.find(": attempt 1\n") != std::string::npos) == debug);
        BOOST_TEST((text.find("new connection: connect ") != std::string::npos) == debug);
        BOOST_TEST((text.find(": first token\n") != std::string::npos) == debug);
        BOOST_TEST((text.find(": delta 0, 8 bytes\n") != std::string::npos) == debug);
        for (const char* secret : {"test-key", "Bearer", "Authorization", "authorization"})
            BOOST_TEST(text.find(secret) == std::string::npos, secret);
    }
}

// DGRID_LOG installs a logger to stderr for a client without an observer.
BOOST_FIXTURE_TEST_CASE(dgrid_log_in_the_environment, emulator_fixture) {
    ::unsetenv("DGRID_LOG");
    BOOST_TEST(!log_level_from_environment().has_value());
    std::FILE* file = std::tmpfile();
    BOOST_TEST_REQUIRE(file);
    std::fflush(stderr);
    const int saved = ::dup(2);
    ::dup2(::fileno(file), 2);
    ::setenv("DGRID_LOG", "info", 1);
    BOOST_TEST((log_level_from_environment() == log_level::info));
    {
        auto logged = make_client();
        BOOST_TEST(!chat(logged, echo_request("x")).ec);
        auto own = std::make_shared<recorder>();
        auto options = client_options_for();
        options.observer = own; // an observer of the client's own wins
        auto quiet = make_client(options);
        BOOST_TEST(!chat(quiet, echo_request("y")).ec);
        BOOST_TEST(own->lines().size() == 4u);
    }
    ::setenv("DGRID_LOG", "verbose", 1);
    BOOST_TEST(!log_level_from_environment().has_value());
    ::unsetenv("DGRID_LOG");
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    const std::string text = read_all(file);
    std::fclose(file);
    BOOST_TEST(text.find("dgrid: call 1 chat emulator/echo") != std::string::npos, text);
    BOOST_TEST(text.find("done, 1 attempt") != std::string::npos, text);
    BOOST_TEST(text.find("call 2") == std::string::npos, text);
    BOOST_TEST(text.find("test-key") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
