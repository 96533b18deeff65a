// The `dgrid` command line as a user runs it, a process of its own against
// the emulator over TLS: chat, models, image, usage errors, and batches
// killed with SIGKILL and resumed, and sharded over processes then merged.
#include "batch_files.hpp"
#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

using namespace dgrid;
using namespace dgrid::test;

namespace {

// A `dgrid` process: its arguments, with the emulator's address and key in
// its environment, stdout and stderr in files.
class cli_process {
public:
    cli_process(const emulator_fixture& f, const temp_dir& dir, std::vector<std::string> args,
                std::vector<std::string> extra_env = {}) {
        static int n = 0;
        const std::string name = "cli-" + std::to_string(++n);
        out_path = dir / (name + ".out");
        err_path = dir / (name + ".err");
        args.insert(args.begin(), DGRID_CLI_PATH);
        std::vector<std::string> env = {"DGRID_API_KEY=test-key", "DGRID_BASE_URL=" + f.server.base_url(),
                                        "DGRID_CA_FILE=" + f.server.ca_file().string()};
        for (char** e = environ; *e; ++e)
            if (!std::string_view(*e).starts_with("DGRID_") && !std::string_view(*e).starts_with("SLURM_") &&
                !std::string_view(*e).starts_with("JOB_COMPLETION_INDEX"))
                env.emplace_back(*e);
        env.insert(env.end(), extra_env.begin(), extra_env.end());
        std::vector<char*> argv, envp;
        for (std::string& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        for (std::string& e : env)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        BOOST_TEST_REQUIRE(spawned == 0, "cannot run " << DGRID_CLI_PATH);
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
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }

    void kill_hard() {
        ::kill(pid_, SIGKILL);
        BOOST_TEST(wait() == -SIGKILL);
    }

    std::string out() const { return read_text(out_path); }
    std::string err() const { return read_text(err_path); }

    std::filesystem::path out_path, err_path;

private:
    pid_t pid_ = 0;
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

BOOST_AUTO_TEST_SUITE_END()
