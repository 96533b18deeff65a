// The `dgrid` command line as a user runs it, a process of its own against
// the emulator over TLS: chat, models, image, usage errors, batches killed
// with SIGKILL and resumed, sharded over processes then merged, progress
// reports, and the options that shape a batch's calls.
#include "batch_files.hpp"
#include "child_process.hpp"
#include "fixture.hpp"

#include <dgrid/batch.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <signal.h>

using namespace dgrid;
using namespace dgrid::test;

namespace {

// A `dgrid` process: its arguments, with the emulator's address and key in
// its environment, stdout in a file, stderr in a file or on a terminal (a
// pseudo-terminal this process reads).
class cli_process {
public:
    enum class stderr_to { file, terminal };

    cli_process(const emulator_fixture& f, const temp_dir& dir, std::vector<std::string> args,
                std::vector<std::string> extra_env = {}, stderr_to where = stderr_to::file) {
        static int n = 0;
        const std::string name = "cli-" + std::to_string(++n);
        out_path = dir / (name + ".out");
        err_path = dir / (name + ".err");
        args.insert(args.begin(), DGRID_CLI_PATH);
        std::vector<std::string> env =
            environment_with({"DGRID_API_KEY=test-key", "DGRID_BASE_URL=" + f.server.base_url(),
                              "DGRID_CA_FILE=" + f.server.ca_file().string()},
                             {"DGRID_", "SLURM_", "JOB_COMPLETION_INDEX"});
        env.insert(env.end(), extra_env.begin(), extra_env.end());
        std::vector<redirection> redirections = {{1, out_path.string()}};
        if (where == stderr_to::terminal) {
            terminal_ = ::posix_openpt(O_RDWR | O_NOCTTY);
            BOOST_TEST_REQUIRE(terminal_ >= 0);
            BOOST_TEST_REQUIRE(::grantpt(terminal_) == 0);
            BOOST_TEST_REQUIRE(::unlockpt(terminal_) == 0);
            redirections.push_back({2, ::ptsname(terminal_), O_RDWR | O_NOCTTY});
            // Read as it comes, so that a full terminal never blocks the process.
            reader_ = std::thread([this] {
                char buffer[4096];
                for (ssize_t n; (n = ::read(terminal_, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR);)
                    if (n > 0)
                        terminal_text_.append(buffer, static_cast<std::size_t>(n));
            });
        } else {
            redirections.push_back({2, err_path.string()});
        }
        pid_ = spawn_process(std::move(args), std::move(env), redirections);
    }

    cli_process(const cli_process&) = delete;
    ~cli_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait();
        }
    }

    // The exit code, or -signal.
    int wait() {
        const int code = wait_for_exit(pid_);
        pid_ = 0;
        if (reader_.joinable()) {
            reader_.join(); // the terminal reads an error once the process is gone
            ::close(terminal_);
        }
        return code;
    }

    void kill_hard() {
        ::kill(pid_, SIGKILL);
        BOOST_TEST(wait() == -SIGKILL);
    }

    std::string out() const { return read_text(out_path); }
    // On a terminal: what it showed, once wait() returned.
    std::string err() const { return terminal_ < 0 ? read_text(err_path) : terminal_text_; }

    std::filesystem::path out_path, err_path;

private:
    pid_t pid_ = 0;
    int terminal_ = -1;
    std::thread reader_;
    std::string terminal_text_;
};

// Runs `dgrid args...` to its end while the fixture's emulator serves.
struct finished {
    int code;
    std::string out, err;
};
finished run_cli(const emulator_fixture& f, const temp_dir& dir, std::vector<std::string> args,
                 std::vector<std::string> env = {}) {
    cli_process p(f, dir, std::move(args), std::move(env));
    const int code = p.wait();
    return {code, p.out(), p.err()};
}

// The summary a batch wrote beside `output`.
boost::json::object summary_of(const std::filesystem::path& output) {
    std::filesystem::path summary = output;
    summary.replace_extension(".summary.json");
    return boost::json::parse(read_text(summary)).as_object();
}

std::size_t count_of(const boost::json::object& o, std::string_view key) {
    return static_cast<std::size_t>(o.at(key).to_number<std::int64_t>());
}

// The whole lines of a file.
std::size_t count_records(const std::filesystem::path& path) {
    const std::string text = read_text(path);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

} // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(chat_models_and_image) {
    emulator_fixture f(batch_emulator(0, 0, 2));
    temp_dir dir;
    const finished chat = run_cli(f, dir, {"chat", "--model", "emulator/echo", "hello there"});
    BOOST_TEST(chat.code == 0, chat.err);
    BOOST_TEST(chat.out == "hello there\n");

    const finished whole = run_cli(f, dir, {"chat", "-m", "emulator/echo", "--no-stream", "--json", "hi"});
    BOOST_TEST(whole.code == 0, whole.err);
    BOOST_TEST(boost::json::parse(whole.out).at("choices").at(0).at("message").at("content") == "hi");

    const finished reasoning = run_cli(f, dir, {"chat", "-m", "emulator/reasoning", "--reasoning", "think"});
    BOOST_TEST(reasoning.code == 0, reasoning.err);
    BOOST_TEST(!reasoning.err.empty()); // the reasoning, on stderr

    const finished models = run_cli(f, dir, {"models"});
    BOOST_TEST(models.code == 0, models.err);
    BOOST_TEST(models.out.starts_with("emulator/echo\n"));

    const finished image =
        run_cli(f, dir, {"image", "-m", "emulator/image", "--out", (dir / "pictures").string(), "a cat"});
    BOOST_TEST(image.code == 0, image.err);
    const std::string written = image.out.substr(0, image.out.find('\n'));
    BOOST_TEST(written.ends_with(".png"), written);
    BOOST_TEST(read_text(written).starts_with("\x89PNG\r\n\x1a\n"));
}

BOOST_AUTO_TEST_CASE(errors_and_exit_codes) {
    emulator_fixture f(batch_emulator(0, 0, 2));
    temp_dir dir;
    // The gateway's refusal: exit 1, one line with its message and request id.
    const finished missing = run_cli(f, dir, {"chat", "-m", "no-such-model", "hi"});
    BOOST_TEST(missing.code == 1);
    BOOST_TEST(missing.err.starts_with("dgrid: chat: "), missing.err);
    BOOST_TEST(missing.err.find("HTTP 404, request id ") != std::string::npos, missing.err);
    BOOST_TEST(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);

    // Usage: exit 2.
    BOOST_TEST(run_cli(f, dir, {}).code == 2);
    BOOST_TEST(run_cli(f, dir, {"frobnicate"}).code == 2);
    BOOST_TEST(run_cli(f, dir, {"chat"}).code == 2); // no prompt
    BOOST_TEST(run_cli(f, dir, {"batch", "/nonexistent/input.jsonl", "-o", "x"}).code == 2);
    write_input(dir / "in.jsonl", 1);
    BOOST_TEST(run_cli(f, dir, {"batch", (dir / "in.jsonl").string()}).code == 2); // no --output
    BOOST_TEST(run_cli(f, dir, {"batch", (dir / "in.jsonl").string(), "-o", "x", "--shard", "4/4"}).code == 2);
    BOOST_TEST(run_cli(f, dir, {"chat", "--api-key-env", "DGRID_NO_SUCH_KEY", "hi"}).code == 2);
    BOOST_TEST(run_cli(f, dir, {"chat", "--header", "no colon", "hi"}).code == 2);
    BOOST_TEST(run_cli(f, dir, {"batch", (dir / "in.jsonl").string(), "-o", "x", "--progress-interval", "0"}).code ==
               2);
    // A Kubernetes index without the count.
    const finished no_count =
        run_cli(f, dir, {"batch", (dir / "in.jsonl").string(), "-o", "x"}, {"JOB_COMPLETION_INDEX=1"});
    BOOST_TEST(no_count.code == 2);
    BOOST_TEST(no_count.err.find("JOB_COMPLETION_INDEX") != std::string::npos, no_count.err);
    const finished help = run_cli(f, dir, {"batch", "--help"});
    BOOST_TEST(help.code == 0);
    BOOST_TEST(help.out.find("--retry-failed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_batch_killed_three_times_then_resumed) {
    emulator_fixture f(batch_emulator(0.05, 0, 2));
    temp_dir dir;
    constexpr std::size_t lines = 1000;
    write_input(dir / "in.jsonl", lines);
    const std::vector<std::string> args = {"batch",    (dir / "in.jsonl").string(),
                                           "--output", (dir / "out.jsonl").string(),
                                           "--rpm",    "6000",
                                           "--quiet",  "--max-retries",
                                           "5"};
    const unsigned seed = std::random_device{}();
    BOOST_TEST_MESSAGE("kill times from seed " << seed);
    std::mt19937 random(seed);
    std::size_t before = 0;
    for (int kill = 0; kill < 3; ++kill) {
        cli_process p(f, dir, args);
        // Once this run has written a record (sanitized builds start slowly),
        // then at a random moment.
        for (int i = 0; i < 400 && count_records(dir / "out.jsonl") <= before; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(0, 1500)(random)));
        p.kill_hard();
        // The records written so far stay: each run adds to them (a last one
        // torn by the kill is cut by the next run, and made again).
        const std::size_t whole = count_records(dir / "out.jsonl");
        BOOST_TEST(whole > before, "kill " << kill);
        BOOST_TEST(whole < lines, "kill " << kill << " came after the end");
        before = whole;
    }
    const finished last = run_cli(f, dir, args);
    BOOST_TEST((last.code == 0 || last.code == 1), last.err);
    check_exactly_once(read_outcome(dir / "out.jsonl", dir / "out.errors.jsonl"), lines);
    BOOST_TEST(std::filesystem::exists(dir / "out.summary.json"));
}

BOOST_AUTO_TEST_CASE(four_shard_processes_then_merged) {
    emulator_fixture f(batch_emulator(0, 0, 2));
    temp_dir dir;
    constexpr std::size_t lines = 400;
    write_input(dir / "in.jsonl", lines);
    std::vector<std::unique_ptr<cli_process>> shards;
    for (int i = 0; i < 4; ++i) {
        // Each as a Slurm array task would see it (--array=0-3).
        shards.push_back(std::make_unique<cli_process>(
            f, dir,
            std::vector<std::string>{"batch", (dir / "in.jsonl").string(), "-o", (dir / "out.jsonl").string(), "-q"},
            std::vector<std::string>{"SLURM_ARRAY_TASK_ID=" + std::to_string(i), "SLURM_ARRAY_TASK_COUNT=4",
                                     "SLURM_ARRAY_TASK_MIN=0"}));
    }
    for (auto& p : shards)
        BOOST_TEST(p->wait() == 0, p->err());
    for (int i = 0; i < 4; ++i)
        BOOST_TEST(std::filesystem::exists(dir / ("out.shard-" + std::to_string(i) + "-of-4.jsonl")));
    const finished merged = run_cli(
        f, dir,
        {"batch", "merge", "--input", (dir / "in.jsonl").string(), "-o", (dir / "out.jsonl").string(), "-n", "4"});
    BOOST_TEST(merged.code == 0, merged.err);
    BOOST_TEST(merged.err.find("400 answered, 0 failed, 0 missing, 0 duplicated") != std::string::npos, merged.err);
    check_exactly_once(read_outcome(dir / "out.jsonl", dir / "out.errors.jsonl"), lines);

    // A shard that lost a record: merge names the line and fails.
    const std::filesystem::path shard0 = dir / "out.shard-0-of-4.jsonl";
    std::string text = read_text(shard0);
    const std::string dropped(boost::json::parse(text.substr(0, text.find('\n'))).at("custom_id").as_string());
    std::ofstream(shard0, std::ios::binary | std::ios::trunc) << text.substr(text.find('\n') + 1);
    const finished lost = run_cli(
        f, dir,
        {"batch", "merge", "--input", (dir / "in.jsonl").string(), "-o", (dir / "out.jsonl").string(), "-n", "4"});
    BOOST_TEST(lost.code == 1);
    BOOST_TEST(lost.err.find("missing: " + dropped + "\n") != std::string::npos, lost.err);
}

BOOST_AUTO_TEST_CASE(progress_on_a_terminal_and_as_json_lines) {
    emulator_fixture f(batch_emulator(0, 0, 2));
    temp_dir dir;
    constexpr std::size_t lines = 40;
    write_input(dir / "in.jsonl", lines);
    const std::string input = (dir / "in.jsonl").string();

    // Not on a terminal: a JSON line per report, then the summary.
    const finished logged = run_cli(f, dir,
                                    {"batch", input, "-o", (dir / "a.jsonl").string(), "--progress-interval", "0.01",
                                     "--rpm", "1200"}); // 20 a second: reports on the way
    BOOST_TEST(logged.code == 0, logged.err);
    std::istringstream reports(logged.err);
    std::vector<boost::json::object> progress;
    std::string summary_line;
    for (std::string line; std::getline(reports, line);) {
        if (line.starts_with("dgrid: batch: ")) {
            summary_line = line;
            continue;
        }
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(line, ec);
        BOOST_TEST_REQUIRE((!ec && v.is_object()), "not a JSON progress line: " << line);
        progress.push_back(v.as_object());
    }
    BOOST_TEST(progress.size() > 2u, logged.err);
    std::size_t done = 0;
    for (const boost::json::object& p : progress) {
        for (const char* key :
             {"done", "skipped", "total", "failed", "per_second", "in_flight", "concurrency", "tokens", "elapsed_s"})
            BOOST_TEST(p.contains(key), key);
        BOOST_TEST(count_of(p, "total") == lines);
        BOOST_TEST(count_of(p, "done") >= done); // never back
        done = count_of(p, "done");
    }
    BOOST_TEST(done == lines); // the last report is the end
    BOOST_TEST(summary_line.find(R"("succeeded":40)") != std::string::npos, summary_line);

    // On a terminal: one line rewritten in place.
    cli_process live(f, dir, {"batch", input, "-o", (dir / "b.jsonl").string(), "--rpm", "1200"}, {},
                     cli_process::stderr_to::terminal);
    BOOST_TEST(live.wait() == 0);
    const std::string shown = live.err();
    BOOST_TEST(shown.find("\r40/40 lines") != std::string::npos, shown);
    BOOST_TEST(shown.find("ETA ") != std::string::npos, shown);
    BOOST_TEST(shown.find("errors 0  concurrency ") != std::string::npos, shown);
    BOOST_TEST(shown.find(" tok/s") != std::string::npos, shown);
    BOOST_TEST(shown.find("{\"done\"") == std::string::npos, shown); // no JSON lines

    // Quiet: neither.
    const finished quiet = run_cli(f, dir, {"batch", input, "-o", (dir / "c.jsonl").string(), "-q"});
    BOOST_TEST(quiet.code == 0);
    BOOST_TEST(quiet.err.empty(), quiet.err);
}

BOOST_AUTO_TEST_CASE(caps_retries_and_timeouts_from_the_command_line) {
    emulator_fixture f(batch_emulator(0, 0, 2));
    temp_dir dir;
    constexpr std::size_t lines = 6;
    write_input(dir / "in.jsonl", lines);
    const std::string input = (dir / "in.jsonl").string();
    const auto run = [&](const std::string& name, std::vector<std::string> options) {
        std::vector<std::string> args = {"batch", input, "-o", (dir / name).string(), "-q"};
        args.insert(args.end(), options.begin(), options.end());
        const finished done = run_cli(f, dir, args);
        BOOST_TEST_INFO(name << ": " << done.err);
        BOOST_TEST((done.code == 0 || done.code == 1));
        return summary_of(dir / name);
    };

    // --rpm 120: two a second, a second's worth at once; six lines take at
    // least (6 - 2 - 1) / 2 s (the last one may start as its turn comes).
    const boost::json::object rpm = run("rpm.jsonl", {"--rpm", "120"});
    BOOST_TEST(count_of(rpm, "succeeded") == lines);
    BOOST_TEST(count_of(rpm, "wall_time_ms") >= 1500u);

    // --tpm 12000: 200 tokens a second, a second's worth at once, each
    // call's estimate corrected from its usage before the next one starts
    // (one at a time): all but the last call's tokens, less the first
    // second's worth, come at the pace.
    {
        std::ofstream long_lines(dir / "long.jsonl", std::ios::binary);
        std::string words;
        for (int w = 0; w < 50; ++w)
            words += " word" + std::to_string(w);
        for (std::size_t i = 0; i < 5; ++i)
            long_lines << R"({"custom_id":"long-)" << i << R"(","method":"POST","url":"/v1/chat/completions",)"
                       << R"("body":{"model":"emulator/echo","messages":[{"role":"user","content":")" << words
                       << R"("}]}})" << '\n';
    }
    const finished paced = run_cli(f, dir,
                                   {"batch", (dir / "long.jsonl").string(), "-o", (dir / "tpm.jsonl").string(), "-q",
                                    "--tpm", "12000", "--concurrency", "1"});
    BOOST_TEST(paced.code == 0, paced.err);
    const boost::json::object tpm = summary_of(dir / "tpm.jsonl");
    BOOST_TEST(count_of(tpm, "succeeded") == 5u);
    const double tokens = static_cast<double>(count_of(tpm, "prompt_tokens") + count_of(tpm, "completion_tokens"));
    const double at_least_s = (tokens - tokens / 5 - 200) / 200;
    BOOST_TEST(at_least_s > 0.5, "the lines are too short for the test: " << tokens << " tokens");
    BOOST_TEST(static_cast<double>(count_of(tpm, "wall_time_ms")) >= at_least_s * 1000);

    // --header reaches every call: every answer a 500. --max-retries says
    // how often each is sent again (1: within the client's retry budget).
    const std::vector<std::string> fail = {"--header", "X-Emulator-Fault: status=500"};
    std::vector<std::string> options = fail;
    options.insert(options.end(), {"--max-retries", "0"});
    const boost::json::object none = run("none.jsonl", options);
    BOOST_TEST(count_of(none, "failed") == lines);
    BOOST_TEST(count_of(none, "retries") == 0u);
    options.back() = "1";
    const boost::json::object once = run("once.jsonl", options);
    BOOST_TEST(count_of(once, "failed") == lines);
    BOOST_TEST(count_of(once, "retries") == lines);
    for (const boost::json::value& r : read_records(dir / "once.errors.jsonl"))
        BOOST_TEST(r.at("response").at("status_code") == 500);

    // --timeout: answers that take 5 s fail after 0.3 s.
    const boost::json::object slow =
        run("slow.jsonl", {"--header", "X-Emulator-Fault: stall=5000", "--timeout", "0.3", "--max-retries", "0"});
    BOOST_TEST(count_of(slow, "failed") == lines);
    BOOST_TEST(count_of(slow, "wall_time_ms") < 5000u);
    for (const boost::json::value& r : read_records(dir / "slow.errors.jsonl"))
        BOOST_TEST(r.at("error").at("code") == "total_timeout");
}

BOOST_AUTO_TEST_CASE(a_kubernetes_index_picks_its_shard) {
    emulator_fixture f(batch_emulator(0, 0, 2));
    temp_dir dir;
    constexpr std::size_t lines = 60;
    write_input(dir / "in.jsonl", lines);
    std::size_t in_shard_1 = 0;
    for (std::size_t i = 0; i < lines; ++i)
        in_shard_1 += shard_of(id_of(i), 2) == 1;
    // The count from --shard-count, or from DGRID_SHARD_COUNT.
    const std::vector<std::vector<std::string>> ways = {{"--shard-count", "2"}, {}};
    for (const std::vector<std::string>& way : ways) {
        const std::filesystem::path output = dir / (way.empty() ? "env.jsonl" : "flag.jsonl");
        std::vector<std::string> args = {"batch", (dir / "in.jsonl").string(), "-o", output.string(), "-q"};
        args.insert(args.end(), way.begin(), way.end());
        std::vector<std::string> env = {"JOB_COMPLETION_INDEX=1"};
        if (way.empty())
            env.push_back("DGRID_SHARD_COUNT=2");
        const finished done = run_cli(f, dir, args, env);
        BOOST_TEST(done.code == 0, done.err);
        std::filesystem::path shard = output;
        shard.replace_extension(".shard-1-of-2.jsonl");
        const std::vector<boost::json::value> records = read_records(shard);
        BOOST_TEST(records.size() == in_shard_1);
        for (const boost::json::value& r : records)
            BOOST_TEST(shard_of(r.at("custom_id").as_string(), 2) == 1u);
    }
}

BOOST_AUTO_TEST_SUITE_END()
