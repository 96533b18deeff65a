// The batch runner's parts that need no network: input lines, records,
// files, the adaptive bound, the rate caps, percentiles and shards.
#include <dgrid/batch.hpp>
#include <dgrid/detail/batch/adaptive_limit.hpp>
#include <dgrid/detail/batch/append_log.hpp>
#include <dgrid/detail/batch/batch_records.hpp>
#include <dgrid/detail/batch/id_set.hpp>
#include <dgrid/detail/batch/input_line.hpp>
#include <dgrid/detail/batch/latency_histogram.hpp>
#include <dgrid/detail/batch/line_reader.hpp>
#include <dgrid/detail/batch/rate_buckets.hpp>

#include "test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace dgrid;
using namespace dgrid::detail;
namespace json = boost::json;
using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

namespace {

// A file under the temporary directory, removed at the end of the test.
struct temp_file {
    explicit temp_file(std::string_view content = {}) {
        static int n = 0;
        path = std::filesystem::temp_directory_path() /
               ("dgrid-batch-unit-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".jsonl");
        std::ofstream(path, std::ios::binary) << content;
    }
    ~temp_file() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }
    std::string content() const {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    std::filesystem::path path;
};

const std::string good_line =
    R"({"custom_id":"a-1","method":"POST","url":"/v1/chat/completions",)"
    R"("body":{"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":5}})";

} // namespace

BOOST_AUTO_TEST_SUITE(batch_parts)

BOOST_AUTO_TEST_CASE(input_lines) {
    const input_line ok = parse_input_line(good_line);
    BOOST_TEST(ok.error_code.empty());
    BOOST_TEST(ok.custom_id == "a-1");
    BOOST_TEST(ok.body.model == "m");
    BOOST_TEST(ok.body.messages.size() == 1u);

    // Without `method`, and `url` without /v1: accepted.
    BOOST_TEST(parse_input_line(R"({"custom_id":"x","url":"/chat/completions","body":{"model":"m","messages":[]}})")
                   .error_code.empty());

    struct bad {
        std::string text, code, message;
    };
    const std::vector<bad> cases = {
        {"{not json", "invalid_line", "not JSON: "},
        {"[1,2]", "invalid_line", "not a JSON object"},
        {R"({"url":"/v1/chat/completions","body":{}})", "invalid_line", "no custom_id string"},
        {R"({"custom_id":"","url":"/v1/chat/completions","body":{}})", "invalid_line", "no custom_id string"},
        {R"({"custom_id":7,"url":"/v1/chat/completions","body":{}})", "invalid_line", "no custom_id string"},
        {R"({"custom_id":"x","method":"GET","url":"/v1/chat/completions","body":{}})", "invalid_line",
         "method: expected \"POST\""},
        {R"({"custom_id":"x","body":{}})", "invalid_line", "no url string"},
        {R"({"custom_id":"x","url":"/v1/embeddings","body":{}})", "unknown_url", "url /v1/embeddings: only"},
        {R"({"custom_id":"x","url":"/v1/chat/completions"})", "invalid_line", "no body object"},
        {R"({"custom_id":"x","url":"/v1/chat/completions","body":{"messages":7}})", "invalid_line",
         "body.messages: expected array"},
    };
    for (const bad& c : cases) {
        BOOST_TEST_CONTEXT(c.text) {
            const input_line line = parse_input_line(c.text);
            BOOST_TEST(line.error_code == c.code);
            BOOST_TEST(line.error_message.starts_with(c.message), line.error_message);
        }
    }
    // The id is kept when the rest is wrong: the record names it.
    BOOST_TEST(parse_input_line(R"({"custom_id":"x","url":"/v1/embeddings","body":{}})").custom_id == "x");
}

BOOST_AUTO_TEST_CASE(records_and_their_keys) {
    chat_completion c;
    c.id = "chatcmpl-1";
    c.model = "m";
    c.choices.emplace_back().message = message::assistant("hello");
    c.response.http_status = 200;
    c.response.request_id = "req_1";
    const std::string answer = answer_record("a-1", c);
    const json::value a = json::parse(answer);
    BOOST_TEST(a.at("custom_id") == "a-1");
    BOOST_TEST(a.at("id").as_string().starts_with("batch_req_"));
    BOOST_TEST(a.at("response").at("status_code") == 200);
    BOOST_TEST(a.at("response").at("request_id") == "req_1");
    BOOST_TEST(a.at("response").at("body").at("choices").at(0).at("message").at("content") == "hello");
    BOOST_TEST(a.at("error").is_null());
    BOOST_TEST(answer_record("a-1", c) == answer); // the same id in every run

    diagnostics diag;
    diag.http_status = 429;
    diag.request_id = "req_2";
    diag.message = "slow down";
    diag.type = "requests";
    diag.code = "rate_limit_exceeded";
    const json::value f = json::parse(failure_record("b", make_error_code(error::rate_limited), diag));
    BOOST_TEST(f.at("response").at("status_code") == 429);
    BOOST_TEST(f.at("response").at("body").at("error").at("message") == "slow down");
    BOOST_TEST(f.at("response").at("body").at("error").at("code") == "rate_limit_exceeded");
    BOOST_TEST(f.at("error").at("code") == "rate_limited");

    // No answer at all: no response.
    const json::value reset = json::parse(failure_record("c", boost::asio::error::connection_reset, diagnostics()));
    BOOST_TEST(reset.at("response").is_null());
    BOOST_TEST(reset.at("error").at("code").as_string().starts_with("system:"));
    BOOST_TEST(!reset.at("error").at("message").as_string().empty());

    const json::value l = json::parse(line_record(12, {}, "invalid_line", "not JSON"));
    BOOST_TEST(l.at("line") == 12);
    BOOST_TEST(l.at("custom_id").is_null());
    BOOST_TEST(l.at("error").at("message") == "line 12: not JSON");

    const auto answer_key = read_record_key(answer);
    BOOST_TEST_REQUIRE(answer_key.has_value());
    BOOST_TEST(answer_key->custom_id == "a-1");
    BOOST_TEST(!answer_key->line.has_value());
    const auto line_key = read_record_key(line_record(3, "dup", "duplicate_custom_id", "again"));
    BOOST_TEST_REQUIRE(line_key.has_value());
    BOOST_TEST((line_key->line == std::optional<std::size_t>(3)));
    BOOST_TEST(!read_record_key("{\"custom_id\":").has_value());
    BOOST_TEST(!read_record_key("{}").has_value());
}

BOOST_AUTO_TEST_CASE(error_names) {
    BOOST_TEST(error_name(make_error_code(error::service_unavailable)) == "service_unavailable");
    BOOST_TEST(error_name(make_error_code(error::too_many_steps)) == "too_many_steps");
    BOOST_TEST(error_name(boost::asio::error::operation_aborted) == "system:125");
}

BOOST_AUTO_TEST_CASE(ids) {
    id_set ids;
    for (int i = 0; i < 10000; ++i)
        BOOST_TEST_REQUIRE(ids.mark("id-" + std::to_string(i), id_set::in_input) == 0u);
    BOOST_TEST(ids.size() == 10000u);
    BOOST_TEST(ids.mark("id-77", id_set::in_input) == id_set::in_input);
    BOOST_TEST(ids.marks_of("id-9999") == id_set::in_input);
    BOOST_TEST(ids.marks_of("id-10000") == 0u);
    BOOST_TEST(id_set().marks_of("x") == 0u);
    // A table grown one id at a time stays at least 40 % full.
    BOOST_TEST(ids.capacity_bytes() <= 10000 * 8 * 5 / 2);
}

BOOST_AUTO_TEST_CASE(ids_carry_two_marks) {
    id_set ids;
    BOOST_TEST(ids.mark("a", id_set::in_files) == 0u);
    BOOST_TEST(ids.mark("a", id_set::in_files) == id_set::in_files);
    BOOST_TEST(ids.mark("a", id_set::in_input) == id_set::in_files);
    BOOST_TEST(ids.marks_of("a") == (id_set::in_files | id_set::in_input));
    BOOST_TEST(ids.mark("b", id_set::in_input) == 0u);
    BOOST_TEST(ids.marks_of("b") == id_set::in_input);
    BOOST_TEST(ids.size() == 2u);
}

BOOST_AUTO_TEST_CASE(ids_reserved_once_never_grow) {
    id_set ids;
    ids.reserve(100000);
    const std::size_t bytes = ids.capacity_bytes();
    BOOST_TEST(bytes <= 125001 * 8); // 80 % full at 100,000
    for (int i = 0; i < 100000; ++i)
        ids.mark(std::to_string(i), id_set::in_input);
    BOOST_TEST(ids.capacity_bytes() == bytes);
    BOOST_TEST(ids.size() == 100000u);
    for (int i = 0; i < 100000; i += 997)
        BOOST_TEST_REQUIRE(ids.marks_of(std::to_string(i)) == id_set::in_input);
}

BOOST_AUTO_TEST_CASE(lines_of_a_file) {
    temp_file f("one\r\n\ntoo long line\nthree\nto");
    line_reader r;
    BOOST_TEST_REQUIRE(!r.open(f.path));
    BOOST_TEST((r.count_lines() == 5u)); // the last one without its newline too
    std::string_view line;
    error_code ec;
    BOOST_TEST((r.next(line, 8, ec) == line_reader::result::line)); // counting left the position alone
    BOOST_TEST(line == "one\r");                                    // the caller strips a CR
    BOOST_TEST((r.next(line, 8, ec) == line_reader::result::line));
    BOOST_TEST(line.empty());
    BOOST_TEST((r.next(line, 8, ec) == line_reader::result::too_long));
    BOOST_TEST((r.next(line, 8, ec) == line_reader::result::line));
    BOOST_TEST(line == "three");
    BOOST_TEST((r.next(line, 8, ec) == line_reader::result::torn));
    BOOST_TEST(line == "to");
    BOOST_TEST((r.next(line, 8, ec) == line_reader::result::end));
    BOOST_TEST(!ec);

    // Lines across blocks, and one too long across blocks.
    std::string big;
    for (int i = 0; i < 20000; ++i)
        big += "line " + std::to_string(i) + "\n";
    big += std::string(200000, 'x') + "\nlast\n";
    temp_file g(big);
    line_reader lines;
    BOOST_TEST_REQUIRE(!lines.open(g.path));
    BOOST_TEST((lines.count_lines() == 20002u));
    for (int i = 0; i < 20000; ++i) {
        BOOST_TEST_REQUIRE((lines.next(line, 100000, ec) == line_reader::result::line));
        BOOST_TEST_REQUIRE(line == "line " + std::to_string(i));
    }
    BOOST_TEST((lines.next(line, 100000, ec) == line_reader::result::too_long));
    BOOST_TEST((lines.next(line, 100000, ec) == line_reader::result::line));
    BOOST_TEST(line == "last");

    line_reader device; // not a regular file: not counted, as a pipe could not be read again
    BOOST_TEST_REQUIRE(!device.open("/dev/null"));
    BOOST_TEST(!device.count_lines().has_value());
    temp_file empty("");
    line_reader nothing;
    BOOST_TEST_REQUIRE(!nothing.open(empty.path));
    BOOST_TEST((nothing.count_lines() == 0u));

    line_reader missing;
    BOOST_TEST((missing.open("/nonexistent/dgrid/input.jsonl") == std::errc::no_such_file_or_directory));
}

BOOST_AUTO_TEST_CASE(append_log_cuts_a_torn_line) {
    temp_file f("{\"a\":1}\n{\"b\":2}\n{\"c\":");
    std::vector<std::string> records;
    {
        append_log log;
        BOOST_TEST_REQUIRE(!log.open(f.path, [&](std::string_view r) { records.emplace_back(r); }));
        BOOST_TEST(records == (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
        BOOST_TEST(f.content() == "{\"a\":1}\n{\"b\":2}\n");
        log.append("{\"d\":4}");
        log.append("{\"e\":5}");
        BOOST_TEST(log.dirty());
        BOOST_TEST(f.content() == "{\"a\":1}\n{\"b\":2}\n"); // kept until the flush
        BOOST_TEST(!log.flush());
        BOOST_TEST(f.content() == "{\"a\":1}\n{\"b\":2}\n{\"d\":4}\n{\"e\":5}\n");
        BOOST_TEST(log.dirty()); // written, not synced
        log.append("{\"f\":6}");
        BOOST_TEST(!log.sync()); // flushes too
        BOOST_TEST(!log.dirty());
    }
    BOOST_TEST(f.content() == "{\"a\":1}\n{\"b\":2}\n{\"d\":4}\n{\"e\":5}\n{\"f\":6}\n");

    append_log fresh;
    temp_file none;
    std::filesystem::remove(none.path);
    BOOST_TEST(!fresh.open(none.path, [](std::string_view) { BOOST_FAIL("no record"); }));
    BOOST_TEST(std::filesystem::exists(none.path));
}

BOOST_AUTO_TEST_CASE(adaptive_bound) {
    using namespace std::chrono;
    const auto t0 = clock_type::now();
    const auto near = [](clock_type::time_point a, clock_type::time_point b) { return abs(a - b) < microseconds(1); };
    adaptive_limit limit(64, std::nullopt);
    BOOST_TEST(limit.current() == adaptive_limit::initial);
    // Slow start: one more per answer.
    for (int i = 0; i < 8; ++i)
        limit.on_answer(t0, {});
    BOOST_TEST(limit.current() == 16u);
    // A 429 halves it and pauses new calls for the wait asked.
    limit.on_rate_limited(t0, milliseconds(2000), milliseconds(50));
    BOOST_TEST(limit.current() == 8u);
    BOOST_TEST((limit.ready_at() == t0 + milliseconds(2000)));
    // The other calls of that round fail too: one decrease only.
    limit.on_rate_limited(t0 + milliseconds(10), milliseconds(2000), milliseconds(50));
    BOOST_TEST(limit.current() == 8u);
    // Then one more per round of answers.
    const auto t1 = t0 + milliseconds(3000);
    for (int i = 0; i < 7; ++i)
        limit.on_answer(t1, {});
    BOOST_TEST(limit.current() == 8u);
    limit.on_answer(t1, {});
    BOOST_TEST(limit.current() == 9u);
    // Never above the max, never below one.
    for (int i = 0; i < 10000; ++i)
        limit.on_answer(t1, {});
    BOOST_TEST(limit.current() == 64u);
    auto t = t1;
    for (int i = 0; i < 20; ++i) {
        t += milliseconds(10);
        limit.on_overloaded(t, milliseconds(5));
    }
    BOOST_TEST(limit.current() == 1u);
    // Within a round trip of the last decrease, even after the wait: none.
    adaptive_limit slow(64, std::nullopt);
    slow.on_rate_limited(t0, milliseconds(10), milliseconds(500));
    slow.on_overloaded(t0 + milliseconds(100), milliseconds(500));
    BOOST_TEST(slow.current() == adaptive_limit::initial / 2);
    // A 503 holds nothing.
    BOOST_TEST((slow.ready_at() == t0 + milliseconds(10)));

    // The window nearly spent, its limit unknown: new calls wait for its reset.
    adaptive_limit held(64, std::nullopt);
    rate_limits headers;
    headers.remaining_requests = 3;
    headers.reset_requests = milliseconds(1500);
    held.on_answer(t0, headers);
    BOOST_TEST((held.ready_at() == t0 + milliseconds(1500)));
    BOOST_TEST(held.current() == adaptive_limit::initial); // no growth while held
    // With the limit said: requests go out at 97 % of the refill rate, 97 in
    // 970 ms, so one every 10.3 ms, never two at once.
    adaptive_limit paced(64, std::nullopt);
    headers.limit_requests = 100;
    headers.reset_requests = milliseconds(970);
    paced.on_answer(t0, headers);
    BOOST_TEST_REQUIRE(paced.request_pace().has_value());
    BOOST_TEST(*paced.request_pace() == 97.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(paced.current() == adaptive_limit::initial); // no growth while paced
    BOOST_TEST((paced.ready_at() <= t0));
    paced.on_sent(t0, 0);
    const auto turn = duration_cast<nanoseconds>(duration<double>(1 / 97.0));
    BOOST_TEST(near(paced.ready_at(), t0 + turn));
    paced.on_sent(t0, 0); // a retry at once: its turn after the first
    BOOST_TEST(near(paced.ready_at(), t0 + 2 * turn));
    // Idle time earns no burst: the next turn is a pace after the send.
    const auto later = t0 + seconds(5);
    paced.on_sent(later, 0);
    BOOST_TEST(near(paced.ready_at(), later + turn));
    // The window has room again: no pace.
    headers.remaining_requests = 64;
    paced.on_answer(later, headers);
    BOOST_TEST(!paced.request_pace().has_value());
    paced.on_sent(later + seconds(1), 0);
    BOOST_TEST((paced.ready_at() <= later + seconds(1)));
    // Tokens: below 5 % of the limit, each call's estimate waits its turn:
    // (10,000 - 100) tokens refill in 9.9 s, 970 a second with the margin.
    adaptive_limit tokens(64, std::nullopt);
    rate_limits window;
    window.limit_tokens = 10000;
    window.remaining_tokens = 100;
    window.reset_tokens = milliseconds(9900);
    tokens.on_answer(t0, window);
    BOOST_TEST_REQUIRE(tokens.token_pace().has_value());
    BOOST_TEST(*tokens.token_pace() == 970.0, boost::test_tools::tolerance(1e-9));
    tokens.on_sent(t0, 485);
    BOOST_TEST(near(tokens.ready_at(), t0 + milliseconds(500)));
    window.remaining_tokens = 600;
    adaptive_limit plenty(64, std::nullopt);
    plenty.on_answer(t0, window);
    BOOST_TEST(!plenty.token_pace().has_value());
    BOOST_TEST((plenty.ready_at() < t0));

    adaptive_limit fixed(64, 5);
    fixed.on_answer(t0, {});
    fixed.on_rate_limited(t0, milliseconds(100), milliseconds(100));
    BOOST_TEST(fixed.current() == 5u);
    BOOST_TEST((fixed.ready_at() == t0 + milliseconds(100)));
}

BOOST_AUTO_TEST_CASE(rate_caps) {
    const auto t0 = clock_type::now();
    rate_bucket none(0);
    BOOST_TEST((none.ready_at(t0, 1e9) == t0));

    rate_bucket rpm(600); // ten a second, a second's worth at first
    for (int i = 0; i < 10; ++i) {
        BOOST_TEST_REQUIRE((rpm.ready_at(t0, 1) == t0));
        rpm.take(t0, 1);
    }
    const auto next = rpm.ready_at(t0, 1);
    BOOST_TEST(std::chrono::duration<double>(next - t0).count() == 0.1, boost::test_tools::tolerance(1e-6));
    BOOST_TEST((rpm.ready_at(t0 + milliseconds(100), 1) == t0 + milliseconds(100)));

    // A correction gives back what an estimate took too much of.
    rate_bucket tpm(6000); // 100 a second
    tpm.take(t0, 100);
    BOOST_TEST((tpm.ready_at(t0, 50) > t0));
    tpm.take(t0, -50);
    BOOST_TEST((tpm.ready_at(t0, 50) == t0));
    // More than a second's worth waits for a full bucket, not forever.
    BOOST_TEST((tpm.ready_at(t0, 1e6) - t0 <= std::chrono::seconds(1)));
}

BOOST_AUTO_TEST_CASE(percentiles) {
    latency_histogram h;
    BOOST_TEST(h.percentile(50) == 0);
    for (int i = 1; i <= 1000; ++i)
        h.add(i);
    BOOST_TEST(h.count() == 1000u);
    BOOST_TEST(h.percentile(50) == 500, boost::test_tools::tolerance(0.03));
    BOOST_TEST(h.percentile(90) == 900, boost::test_tools::tolerance(0.03));
    BOOST_TEST(h.percentile(99) == 990, boost::test_tools::tolerance(0.03));
    h.add(-1);
    h.add(1e12);
    BOOST_TEST(h.percentile(100) > 1e6);
}

BOOST_AUTO_TEST_CASE(shards) {
    // FNV-1a: the same on every machine.
    BOOST_TEST(fnv1a("") == 0xcbf29ce484222325ULL);
    BOOST_TEST(fnv1a("a") == 0xaf63dc4c8601ec8cULL);
    BOOST_TEST(shard_of("anything", 1) == 0u);
    std::vector<std::size_t> counts(4);
    for (int i = 0; i < 4000; ++i)
        ++counts[shard_of("request-" + std::to_string(i), 4)];
    for (const std::size_t n : counts)
        BOOST_TEST((n > 800 && n < 1200), n);

    BOOST_TEST(shard_path("out/result.jsonl", {2, 4}) == "out/result.shard-2-of-4.jsonl");
    BOOST_TEST(shard_path("out/result.jsonl", {0, 1}) == "out/result.jsonl");
    BOOST_TEST(errors_path("out/result.jsonl") == "out/result.errors.jsonl");
    BOOST_TEST(errors_path("result") == "result.errors");

    for (const char* v : {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
                          "JOB_COMPLETION_INDEX", "DGRID_SHARD_COUNT"})
        ::unsetenv(v);
    BOOST_TEST(!shard_from_environment().has_value());
    ::setenv("JOB_COMPLETION_INDEX", "2", 1);
    BOOST_CHECK_THROW(shard_from_environment(), std::invalid_argument); // no count
    BOOST_TEST((shard_from_environment(3) == batch_shard{2, 3}));
    ::setenv("DGRID_SHARD_COUNT", "5", 1);
    BOOST_TEST((shard_from_environment() == batch_shard{2, 5}));
    BOOST_CHECK_THROW(shard_from_environment(2), std::invalid_argument); // 2 of 2 does not exist
    ::setenv("SLURM_ARRAY_TASK_ID", "3", 1);
    ::setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
    ::setenv("SLURM_ARRAY_TASK_MIN", "1", 1);
    BOOST_TEST((shard_from_environment() == batch_shard{2, 4})); // Slurm first; --array=1-4
    ::setenv("SLURM_ARRAY_TASK_ID", "x", 1);
    BOOST_CHECK_THROW(shard_from_environment(), std::invalid_argument);
    for (const char* v : {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
                          "JOB_COMPLETION_INDEX", "DGRID_SHARD_COUNT"})
        ::unsetenv(v);
}

BOOST_AUTO_TEST_SUITE_END()
