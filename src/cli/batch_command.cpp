// dgrid batch INPUT --output OUT [...]   and   dgrid batch merge --input INPUT --output OUT --shards N
#include "commands.hpp"

#include <dgrid/batch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <unistd.h>

namespace dgrid_cli {
namespace {

namespace asio = boost::asio;

struct batch_flags {
    std::string input;
    std::string output;
    std::string errors;
    std::string concurrency = "auto";
    std::size_t max_concurrency = 256;
    double rpm = 0;
    double tpm = 0;
    std::string shard;                      // "I/N"
    std::optional<std::size_t> shard_count; // N for a Kubernetes Indexed Job
    bool retry_failed = false;
    bool quiet = false;
    std::optional<double> progress_interval; // seconds
    std::optional<unsigned> max_retries;
    std::optional<double> timeout; // seconds, per call
};

std::string duration_text(double seconds) {
    const auto s = static_cast<long long>(seconds);
    char text[32];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else
        std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
    return text;
}

// One live line on a terminal; a JSON line every few seconds elsewhere.
class progress_printer {
public:
    // `shards`: the input's lines are shared among them, for the total.
    progress_printer(std::size_t shards, bool terminal) : shards_(shards), terminal_(terminal) {}

    void operator()(const dgrid::batch_progress& p) {
        const double seconds = std::chrono::duration<double>(p.elapsed).count();
        const std::size_t done = p.succeeded + p.failed;
        const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
        // This shard's share of the lines; none when the input is a pipe.
        const std::optional<std::size_t> total = p.lines_total ? std::optional(*p.lines_total / shards_) : std::nullopt;
        const std::size_t left = total && *total > p.skipped + done ? *total - p.skipped - done : 0;
        if (terminal_) {
            const std::string eta = total && rate > 0 ? duration_text(static_cast<double>(left) / rate) : "-";
            char line[200];
            std::snprintf(line, sizeof line,
                          "\r%zu/%s lines  %.1f/s  ETA %s  %.0f tok/s  errors %zu  concurrency %zu/%zu ",
                          done + p.skipped, total ? std::to_string(*total).c_str() : "?", rate, eta.c_str(),
                          seconds > 0 ? static_cast<double>(p.total_tokens) / seconds : 0.0, p.failed, p.in_flight,
                          p.concurrency);
            std::cerr << line << std::flush;
        } else {
            boost::json::object o{{"done", done},
                                  {"skipped", p.skipped},
                                  {"total", total ? boost::json::value(*total) : boost::json::value(nullptr)},
                                  {"failed", p.failed},
                                  {"per_second", rate},
                                  {"in_flight", p.in_flight},
                                  {"concurrency", p.concurrency},
                                  {"tokens", p.total_tokens},
                                  {"elapsed_s", seconds}};
            std::cerr << boost::json::serialize(o) << '\n';
        }
    }

    void finish() const {
        if (terminal_)
            std::cerr << '\n';
    }

private:
    std::size_t shards_;
    bool terminal_;
};

dgrid::batch_shard parse_shard(const batch_flags& flags) {
    if (flags.shard.empty()) {
        try {
            return dgrid::shard_from_environment(flags.shard_count).value_or(dgrid::batch_shard{});
        } catch (const std::invalid_argument& e) {
            throw CLI::ValidationError("--shard", e.what());
        }
    }
    dgrid::batch_shard shard;
    char slash = 0;
    std::istringstream in(flags.shard);
    if (!(in >> shard.index >> slash >> shard.count) || slash != '/' || !in.eof() || shard.count == 0 ||
        shard.index >= shard.count)
        throw CLI::ValidationError("--shard", "expected I/N with I < N, got " + flags.shard);
    return shard;
}

int run_batch(const connection_flags& connection, const batch_flags& flags) {
    dgrid::batch_options options;
    options.input = flags.input;
    options.shard = parse_shard(flags);
    options.output = dgrid::shard_path(flags.output, options.shard);
    const std::filesystem::path output = options.output;
    if (!flags.errors.empty())
        options.errors = dgrid::shard_path(flags.errors, options.shard);
    options.max_concurrency = flags.max_concurrency;
    if (flags.concurrency != "auto") {
        std::size_t n = 0;
        const auto [end, ec] =
            std::from_chars(flags.concurrency.data(), flags.concurrency.data() + flags.concurrency.size(), n);
        if (ec != std::errc() || end != flags.concurrency.data() + flags.concurrency.size() || n == 0)
            throw CLI::ValidationError("--concurrency", "expected auto or a positive number");
        options.fixed_concurrency = n;
    }
    options.requests_per_minute = flags.rpm;
    options.tokens_per_minute = flags.tpm;
    options.retry_failed = flags.retry_failed;
    options.request.max_retries = flags.max_retries;
    if (flags.timeout)
        options.request.total_timeout =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(*flags.timeout));
    std::optional<progress_printer> printer;
    if (!flags.quiet) {
        const bool terminal = ::isatty(STDERR_FILENO) != 0;
        printer.emplace(options.shard.count, terminal);
        options.on_progress = [&printer](const dgrid::batch_progress& p) { (*printer)(p); };
        options.progress_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::duration<double>(flags.progress_interval.value_or(terminal ? 0.25 : 5)));
    }

    asio::io_context io;
    asio::cancellation_signal stop;
    // The first SIGINT or SIGTERM stops the run (what was written stays,
    // the calls under way are dropped); a second one ends the process.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](dgrid::error_code ec, int) {
        if (ec)
            return;
        stop.emit(asio::cancellation_type::terminal);
        signals.async_wait([](dgrid::error_code again, int) {
            if (!again)
                std::_Exit(130);
        });
    });
    dgrid::error_code result;
    dgrid::batch_summary summary;
    dgrid::client_options client = client_options_from(connection);
    client.thread_safe = false; // one thread runs `io`: the client needs no strands
    dgrid::async_run_batch(io.get_executor(), std::move(client), std::move(options),
                           asio::bind_cancellation_slot(stop.slot(), [&](dgrid::error_code ec, dgrid::batch_summary s) {
                               result = ec;
                               summary = std::move(s);
                               signals.cancel();
                           }));
    io.run();
    if (printer)
        printer->finish();
    if (!flags.quiet)
        std::cerr << "dgrid: batch: " << boost::json::serialize(dgrid::to_json(summary)) << '\n';
    if (result) {
        std::cerr << "dgrid: batch: " << result.message() << " (input " << flags.input << ", output " << output.string()
                  << ")\n";
        return exit_failed;
    }
    return summary.failed + summary.invalid_lines == 0 ? exit_ok : exit_failed;
}

struct merge_flags {
    std::string input;
    std::string output;
    std::string errors;
    std::size_t shards = 0;
};

int run_merge(const merge_flags& flags) {
    std::vector<std::filesystem::path> outputs;
    std::vector<std::filesystem::path> errors;
    // Where `dgrid batch` wrote each shard's files, given the same options.
    const std::filesystem::path errors_path =
        flags.errors.empty() ? dgrid::errors_path(flags.output) : std::filesystem::path(flags.errors);
    for (std::size_t i = 0; i < flags.shards; ++i) {
        const dgrid::batch_shard shard{i, flags.shards};
        outputs.push_back(dgrid::shard_path(flags.output, shard));
        errors.push_back(flags.errors.empty() ? dgrid::errors_path(outputs.back())
                                              : dgrid::shard_path(flags.errors, shard));
    }
    const dgrid::batch_merge_report report =
        dgrid::merge_batch_results(flags.input, outputs, errors, flags.output, errors_path);
    std::cerr << "dgrid: merge: " << report.answered << " answered, " << report.failed << " failed, "
              << report.missing.size() << " missing, " << report.duplicated.size() << " duplicated\n";
    for (const std::string& id : report.missing)
        std::cerr << "missing: " << id << '\n';
    for (const std::string& id : report.duplicated)
        std::cerr << "duplicated: " << id << '\n';
    return report.complete() ? exit_ok : exit_failed;
}

} // namespace

void add_batch_command(CLI::App& app, const connection_flags& connection, int& exit_code) {
    auto flags = std::make_shared<batch_flags>();
    CLI::App* cmd = app.add_subcommand("batch", "Run an OpenAI Batch API input file (resumable, exactly once)");
    cmd->add_option("input", flags->input, "The input: one request per line")->check(CLI::ExistingFile);
    cmd->add_option("--output,-o", flags->output, "Where answers are appended");
    cmd->add_option("--errors", flags->errors, "Where failures are appended (default: OUTPUT.errors)");
    cmd->add_option("--concurrency", flags->concurrency, "Calls under way: auto, or a number")->capture_default_str();
    cmd->add_option("--max-concurrency", flags->max_concurrency, "The most calls under way with auto")
        ->capture_default_str();
    cmd->add_option("--rpm", flags->rpm, "Requests per minute at most (0: no cap)");
    cmd->add_option("--tpm", flags->tpm, "Tokens per minute at most (0: no cap)");
    cmd->add_option("--shard", flags->shard,
                    "I/N: run the lines of shard I of N (default: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)");
    cmd->add_option("--shard-count", flags->shard_count, "N for a Kubernetes Indexed Job's JOB_COMPLETION_INDEX");
    cmd->add_flag("--retry-failed", flags->retry_failed, "Run the lines in the errors file again");
    cmd->add_option("--max-retries", flags->max_retries, "Retries of each call (default: the client's, 2)");
    cmd->add_option("--timeout", flags->timeout, "Seconds each call may take, retries included");
    cmd->add_flag("--quiet,-q", flags->quiet, "No progress and no summary on stderr");
    cmd->add_option("--progress-interval", flags->progress_interval,
                    "Seconds between progress reports (default: 0.25 on a terminal, else 5)")
        ->check(CLI::PositiveNumber);
    cmd->callback([cmd, &connection, &exit_code, flags] {
        if (cmd->get_subcommands().empty()) {
            if (flags->input.empty() || flags->output.empty())
                throw CLI::RequiredError("INPUT and --output");
            exit_code = run_batch(connection, *flags);
        }
    });

    auto merge = std::make_shared<merge_flags>();
    CLI::App* merge_cmd = cmd->add_subcommand("merge", "Join the shards' files and check every line is answered once");
    merge_cmd->add_option("--input,-i", merge->input, "The batch's input")->required()->check(CLI::ExistingFile);
    merge_cmd->add_option("--output,-o", merge->output, "The --output the shards were given")->required();
    merge_cmd->add_option("--errors", merge->errors, "The --errors the shards were given, if any");
    merge_cmd->add_option("--shards,-n", merge->shards, "How many shards")->required()->check(CLI::PositiveNumber);
    merge_cmd->callback([&exit_code, merge] { exit_code = run_merge(*merge); });
}

} // namespace dgrid_cli
