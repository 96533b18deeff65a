#ifndef DGRID_BATCH_HPP
#define DGRID_BATCH_HPP

#include <dgrid/client_options.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/error.hpp>
#include <dgrid/request_options.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dgrid {

/// The part of an input one process runs: the lines whose `custom_id`
/// hashes to `index` among `count` (`shard_of`); a line without one goes by
/// its number.
struct batch_shard {
    /// Equal when every member is.
    bool operator==(const batch_shard&) const = default;

    std::size_t index = 0; ///< from 0
    std::size_t count = 1; ///< 1: the whole input
};

/// The shard of `custom_id` among `count`: FNV-1a of its bytes, modulo
/// `count`, the same on every machine.
DGRID_DECL std::size_t shard_of(std::string_view custom_id, std::size_t count) noexcept;

/// The shard the environment names: a Slurm job array's
/// `SLURM_ARRAY_TASK_ID` of `SLURM_ARRAY_TASK_COUNT`, else a Kubernetes
/// Indexed Job's `JOB_COMPLETION_INDEX` of `count` (which Kubernetes does not
/// say: pass the Job's `completions`; without it, `DGRID_SHARD_COUNT`).
/// Empty when neither is set; throws `std::invalid_argument` when a variable
/// is set but not a number, or the index is not below the count.
DGRID_DECL std::optional<batch_shard> shard_from_environment(std::optional<std::size_t> count = {});

/// The file of `shard` for `path`, when each shard writes its own:
/// `out.jsonl` is `out.shard-2-of-4.jsonl` for shard 2 of 4, itself for a
/// single shard.
DGRID_DECL std::filesystem::path shard_path(const std::filesystem::path& path, batch_shard shard);

/// The errors file beside an output when none is named: `out.jsonl` has
/// `out.errors.jsonl`.
DGRID_DECL std::filesystem::path errors_path(const std::filesystem::path& output);

/// How far a batch is, as `batch_options::on_progress` sees it.
struct batch_progress {
    std::size_t lines_read = 0; ///< input lines read so far (of every shard)
    /// The input's lines (of every shard), counted before the run when the
    /// input is a regular file; none for a pipe.
    std::optional<std::size_t> lines_total;
    bool input_done = false;                       ///< the whole input was read
    std::size_t succeeded = 0;                     ///< answered in this run
    std::size_t failed = 0;                        ///< written to the errors file in this run (lines included)
    std::size_t skipped = 0;                       ///< already in the output or errors from an earlier run
    std::size_t in_flight = 0;                     ///< calls under way
    std::size_t concurrency = 0;                   ///< the current bound on calls under way
    std::int64_t total_tokens = 0;                 ///< of this run's answers
    std::chrono::steady_clock::duration elapsed{}; ///< since the run started
};

/// What a batch run did.
struct batch_summary {
    std::size_t lines = 0;         ///< input lines of this shard (blank lines not counted)
    std::size_t succeeded = 0;     ///< answered in this run
    std::size_t failed = 0;        ///< calls that failed in this run
    std::size_t invalid_lines = 0; ///< malformed, unknown `url`, duplicate `custom_id`: reported in this run
    std::size_t skipped = 0;       ///< lines already answered or reported by an earlier run
    /// Failures by error name (`boost::describe::enum_to_string` of
    /// `dgrid::error`, else `category:value`), lines included.
    std::map<std::string, std::size_t> errors;
    std::int64_t prompt_tokens = 0;     ///< `usage.prompt_tokens` of the answers
    std::int64_t completion_tokens = 0; ///< `usage.completion_tokens` of the answers
    std::int64_t reasoning_tokens = 0;  ///< `usage.completion_tokens_details.reasoning_tokens`
    std::int64_t cached_tokens = 0;     ///< `usage.prompt_tokens_details.cached_tokens`
    /// The sum of `usage.cost` where the gateway reported one.
    std::optional<double> cost;
    /// Percentiles 50, 90 and 99 of an answered call's whole time, in
    /// milliseconds (within 2.5 %).
    std::array<double, 3> latency_ms{};
    /// The same of its time to the response's headers. A batch's calls are
    /// not streamed: the headers come with the whole answer, so there is no
    /// separate time to the first token.
    std::array<double, 3> time_to_headers_ms{};
    std::size_t retries = 0;               ///< requests sent again by the client
    std::size_t throttled = 0;             ///< answers 429 or 503, retried or not
    std::chrono::milliseconds wall_time{}; ///< from the start of the run to its end
};

/// The summary as JSON: the members above, percentiles as
/// `{"p50":..,"p90":..,"p99":..}`.
DGRID_DECL boost::json::value to_json(const batch_summary& s);

/// Options of `async_run_batch`.
struct batch_options {
    /// OpenAI Batch API input: one request per line,
    /// `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": {...}}`.
    std::filesystem::path input;
    /// Where answers are appended, a Batch API output line each.
    std::filesystem::path output;
    /// Where failures are appended in the same form; empty: `errors_path(output)`.
    std::filesystem::path errors;
    /// Where the summary is written as JSON; empty: `output` with
    /// `.summary.json` for its extension.
    std::filesystem::path summary;
    /// Calls under way at most. With `fixed_concurrency` unset, the bound
    /// adapts below this one: it grows by one per bound's worth of answers,
    /// halves on a 429 or 503, and holds while the rate-limit headers say
    /// the window is nearly spent.
    std::size_t max_concurrency = 256;
    /// A fixed bound instead of the adaptive one.
    std::optional<std::size_t> fixed_concurrency;
    /// Caps on requests per minute (0: none), as a token bucket holding a
    /// second's worth, so that calls go out at a steady pace.
    double requests_per_minute = 0;
    /// Caps tokens per minute the same way: a call's tokens are estimated
    /// before it (a quarter of its line's bytes, plus
    /// `max_completion_tokens`) and corrected by its `usage`.
    double tokens_per_minute = 0;
    /// This process's part of the input.
    batch_shard shard;
    /// Run the lines in the errors file again: the file is renamed with
    /// `.retried` added, and its lines are run as if never tried.
    bool retry_failed = false;
    /// Timeouts, retries and headers of each call.
    request_options request;
    /// Input lines longer than this are reported, not read.
    std::size_t max_line_size = 16 * 1024 * 1024;
    /// Written lines are made durable (fsync) at least this often, and at the end.
    std::chrono::milliseconds sync_interval{500};
    /// Called at most once per `progress_interval`, and once at the end, on
    /// the run's strand; it must not block.
    std::function<void(const batch_progress&)> on_progress;
    /// See `on_progress`.
    std::chrono::milliseconds progress_interval{1000};
};

namespace detail {
using batch_handler = boost::asio::any_completion_handler<void(error_code, batch_summary)>;
DGRID_DECL void start_batch(boost::asio::any_io_executor ex, client_options client, batch_options batch,
                            batch_handler handler);
} // namespace detail

/// Runs a batch: reads `options.input` as a stream, calls the model for each
/// line of this shard (`async_chat`, with the client's retries) with a
/// bounded number of calls under way, and appends each answer to `output`
/// and each failure (and each malformed, unknown or duplicate line, naming
/// its line number) to `errors`, in the order they complete.
///
/// Exactly once: a line whose `custom_id` is in `output` or `errors` already
/// (or, for a reported line, whose number is) is skipped, so that a run
/// stopped at any moment (`kill -9` included) and started again with the same
/// options finishes the work without writing any line twice; a torn last line
/// left by the stop is cut off first. Records that complete together are
/// written together, as soon as they are known. Memory grows with the calls
/// under way and 10 bytes or so per input line (a hash of each `custom_id`).
///
/// The client is made from `client` on `ex` and shut down at the end; its
/// observer, if any, is called too. The run's own state lives on a strand of
/// `ex`; the client's `thread_safe` says whether several threads may run
/// `ex`'s context (leave it true unless one thread does).
///
/// Handler signature: `void(error_code, batch_summary)`: an error when a file
/// cannot be opened, read or written (`std::errc` codes) or the run was
/// cancelled; the summary says what was done either way. Lines that fail are
/// not errors of the run: they are in `errors` and in the summary.
/// Cancellation: terminal, through the handler's cancellation slot: calls
/// under way are cancelled and not written (a later run makes them).
/// Executor: the handler's associated executor, else `ex`.
/// `on_progress` must not throw: an exception from it stops the run like a
/// cancellation, and the handler gets `std::errc::operation_canceled`.
/// Two runs on the same output at once (two pods of one Kubernetes index,
/// say) would write records twice: the files are locked, and the second run
/// fails with `std::errc::device_or_resource_busy`.
template <class CompletionToken>
auto async_run_batch(boost::asio::any_io_executor ex, client_options client, batch_options options,
                     CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, batch_summary)>(
        [](auto handler, boost::asio::any_io_executor e, client_options c, batch_options b) {
            detail::start_batch(std::move(e), std::move(c), std::move(b), std::move(handler));
        },
        token, std::move(ex), std::move(client), std::move(options));
}

/// What `merge_batch_results` found.
struct batch_merge_report {
    std::size_t answered = 0;            ///< input lines answered in an output
    std::size_t failed = 0;              ///< input lines with a record in an errors file only
    std::vector<std::string> missing;    ///< `custom_id`s of input lines in no file
    std::vector<std::string> duplicated; ///< `custom_id`s in more than one record
    /// Every line answered or failed exactly once.
    bool complete() const noexcept { return missing.empty() && duplicated.empty(); }
};

/// Joins the outputs and the errors files of a batch's shards into `output`
/// and `errors` (lines as they are, in the order given), and checks them
/// against `input`: every `custom_id` of it answered or failed exactly once.
/// Each joined file is written as `<file>.partial`, then renamed, so that a
/// merge that fails leaves an earlier one whole. Throws `std::system_error`
/// when a file cannot be read or written, or a part is the file it goes to.
DGRID_DECL batch_merge_report merge_batch_results(const std::filesystem::path& input,
                                                  const std::vector<std::filesystem::path>& shard_outputs,
                                                  const std::vector<std::filesystem::path>& shard_errors,
                                                  const std::filesystem::path& output,
                                                  const std::filesystem::path& errors);

} // namespace dgrid

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/batch.ipp>
#endif

#endif
