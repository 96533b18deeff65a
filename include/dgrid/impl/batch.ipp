#ifndef DGRID_IMPL_BATCH_IPP
#define DGRID_IMPL_BATCH_IPP

#include <dgrid/batch.hpp>
#include <dgrid/client.hpp>
#include <dgrid/detail/batch/adaptive_limit.hpp>
#include <dgrid/detail/batch/append_log.hpp>
#include <dgrid/detail/batch/batch_records.hpp>
#include <dgrid/detail/batch/id_set.hpp>
#include <dgrid/detail/batch/input_line.hpp>
#include <dgrid/detail/batch/latency_histogram.hpp>
#include <dgrid/detail/batch/line_reader.hpp>
#include <dgrid/detail/batch/rate_buckets.hpp>
#include <dgrid/error_with_diagnostics.hpp>
#include <dgrid/observer.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

namespace dgrid {
namespace detail {
namespace batch_running {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

// `output` with `insert` before its extension: out.jsonl, out.errors.jsonl.
inline std::filesystem::path beside(const std::filesystem::path& output, std::string_view insert) {
    std::filesystem::path p = output;
    const std::string extension = output.extension().string();
    p.replace_filename(output.stem().string() + std::string(insert) + extension);
    return p;
}

inline double milliseconds(clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// What a call's tokens are guessed to be before it: its text's bytes / 4,
// and the completion's cap.
inline double estimated_tokens(const chat_request& r, std::size_t body_size) {
    double tokens = static_cast<double>(body_size) / 4.0;
    if (r.max_completion_tokens)
        tokens += static_cast<double>(*r.max_completion_tokens);
    else if (r.max_tokens)
        tokens += static_cast<double>(*r.max_tokens);
    return tokens;
}

// Tells the run about retries and throttling, and the user's observer
// about everything.
class run_observer;

} // namespace batch_running

class batch_run : public std::enable_shared_from_this<batch_run> {
public:
    using strand_type = boost::asio::strand<boost::asio::any_io_executor>;

    batch_run(strand_type strand, client_options client, batch_options options)
        : strand_(std::move(strand)), client_options_(std::move(client)), options_(std::move(options)),
          limit_(options_.max_concurrency, options_.fixed_concurrency), requests_(options_.requests_per_minute),
          tokens_(options_.tokens_per_minute), wake_(strand_) {}

    boost::asio::awaitable<error_code> run();

    batch_summary summary;

    // From the client's observer, on the strand: a retry is one more request.
    void on_retry(error_code reason, std::chrono::milliseconds delay) {
        const auto now = batch_running::clock::now();
        ++summary.retries;
        requests_.take(now, 1);
        limit_.on_sent(now, 0);
        throttled(reason, now, delay);
    }

private:
    // A 429 or 503: the bound adapts.
    void throttled(error_code ec, batch_running::clock::time_point now, std::chrono::milliseconds wait) {
        if (ec == error::rate_limited) {
            ++summary.throttled;
            limit_.on_rate_limited(now, wait, round_);
        } else if (ec == error::service_unavailable) {
            ++summary.throttled;
            limit_.on_overloaded(now, round_);
        }
    }

    error_code open_files();
    error_code make_client();
    boost::asio::awaitable<bool> cancelled();
    boost::asio::awaitable<void> stop();
    void scan_record(std::string_view record);
    boost::asio::awaitable<error_code> read_input();
    boost::asio::awaitable<void> wait_for_room(double tokens);
    boost::asio::awaitable<void> call(input_line line, double tokens);
    void report_line(std::size_t line, std::string_view custom_id, std::string_view code, std::string_view message);
    void answered(const std::string& custom_id, const chat_completion& completion, batch_running::clock::duration t,
                  double tokens);
    void failed(const std::string& custom_id, error_code ec, const diagnostics& diag);
    bool write(append_log& log, std::string_view record);
    void flush();
    void sync_if_due();
    void progress(bool last);
    batch_progress snapshot() const;

    strand_type strand_;
    client_options client_options_;
    batch_options options_;
    std::optional<client> client_;
    append_log output_;
    append_log errors_;
    id_set ids_;                               // custom_ids in the output or errors, and in the input
    std::unordered_set<std::size_t> reported_; // line numbers reported
    adaptive_limit limit_;
    rate_bucket requests_;
    rate_bucket tokens_;
    boost::asio::steady_timer wake_; // the reader waits on it for room
    std::size_t in_flight_ = 0;
    std::size_t lines_read_ = 0;
    std::optional<std::size_t> lines_total_;
    bool input_done_ = false;
    bool stopping_ = false;
    error_code write_error_;
    std::exception_ptr failure_; // out of memory, or thrown by on_progress: the run stops
    latency_histogram latency_;
    latency_histogram headers_;
    // A round trip, for the adaptive bound: a moving average of latencies.
    std::chrono::milliseconds round_{100};
    std::size_t total_tokens_ = 0;
    batch_running::clock::time_point started_ = batch_running::clock::now();
    batch_running::clock::time_point last_sync_ = started_;
    bool flush_posted_ = false; // a flush of the records kept is queued
    batch_running::clock::time_point last_progress_{};
};

namespace batch_running {

class run_observer final : public observer {
public:
    run_observer(std::weak_ptr<batch_run> run, batch_run::strand_type strand, std::shared_ptr<observer> user)
        : run_(std::move(run)), strand_(std::move(strand)), user_(std::move(user)) {}

    void on_attempt(const attempt_event& e) override { forward(&observer::on_attempt, e); }
    void on_connection(const connection_event& e) override { forward(&observer::on_connection, e); }
    void on_response_head(const response_head_event& e) override { forward(&observer::on_response_head, e); }
    void on_first_token(const delta_event& e) override { forward(&observer::on_first_token, e); }
    void on_delta(const delta_event& e) override { forward(&observer::on_delta, e); }
    void on_end(const end_event& e) override { forward(&observer::on_end, e); }
    bool wants_deltas() const override { return user_ && user_->wants_deltas(); }

    void on_retry(const retry_event& e) override {
        forward(&observer::on_retry, e);
        boost::asio::dispatch(strand_, [run = run_, reason = e.reason, delay = e.delay] {
            if (auto r = run.lock())
                r->on_retry(reason, delay);
        });
    }

private:
    template <class Event>
    void forward(void (observer::*hook)(const Event&), const Event& e) {
        if (user_)
            ((*user_).*hook)(e);
    }

    std::weak_ptr<batch_run> run_;
    batch_run::strand_type strand_;
    std::shared_ptr<observer> user_;
};

} // namespace batch_running

inline error_code batch_run::open_files() {
    using batch_running::beside;
    if (options_.errors.empty())
        options_.errors = errors_path(options_.output);
    if (options_.summary.empty())
        options_.summary = beside(options_.output, ".summary").replace_extension(".json");
    if (options_.retry_failed) {
        // Set aside under a name not taken yet: an earlier retry's stays.
        std::error_code ec;
        if (std::filesystem::exists(options_.errors, ec)) {
            std::filesystem::path aside = std::filesystem::path(options_.errors) += ".retried";
            for (int n = 2; std::filesystem::exists(aside, ec); ++n)
                aside = std::filesystem::path(options_.errors) += ".retried." + std::to_string(n);
            std::filesystem::rename(options_.errors, aside, ec);
        }
        if (ec)
            return ec;
    }
    const auto scan = [this](std::string_view record) { scan_record(record); };
    if (error_code ec = output_.open(options_.output, scan))
        return ec;
    return errors_.open(options_.errors, scan);
}

inline void batch_run::scan_record(std::string_view record) {
    const std::optional<record_key> key = read_record_key(record);
    if (!key)
        return; // not ours: left as it is
    if (key->line)
        reported_.insert(*key->line);
    else
        ids_.mark(key->custom_id, id_set::in_files);
}

inline error_code batch_run::make_client() {
    // The bound on calls under way is the pool's: calls queued for a
    // connection would only spend their deadlines.
    const std::size_t bound = options_.fixed_concurrency.value_or(options_.max_concurrency);
    client_options_.pool.max_size = std::max(client_options_.pool.max_size, bound);
    std::shared_ptr<observer> user = std::move(client_options_.observer);
    if (!user)
        if (const std::optional<log_level> level = log_level_from_environment())
            user = make_logger(*level); // what the client would have made without an observer
    client_options_.observer =
        std::make_shared<batch_running::run_observer>(weak_from_this(), strand_, std::move(user));
    try {
        // On the caller's executor, not the run's strand: the client's own
        // I/O would otherwise pass through the strand at every step (a third
        // of a call's CPU); its completions come back to the strand, where
        // the calls await them. `thread_safe` says what the caller's threads need.
        client_.emplace(strand_.get_inner_executor(), std::move(client_options_));
    } catch (const error_with_diagnostics& e) {
        return e.code();
    } catch (const boost::system::system_error& e) {
        return e.code();
    }
    return {};
}

inline boost::asio::awaitable<bool> batch_run::cancelled() {
    namespace asio = boost::asio;
    const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() != asio::cancellation_type::none;
}

// Cancels the calls under way, which are then not written.
inline boost::asio::awaitable<void> batch_run::stop() {
    stopping_ = true;
    client_->cancel();
    co_await boost::asio::this_coro::reset_cancellation_state();
}

inline boost::asio::awaitable<error_code> batch_run::run() {
    namespace asio = boost::asio;
    co_await asio::this_coro::throw_if_cancelled(false);
    if (error_code ec = open_files())
        co_return ec;
    if (error_code ec = make_client())
        co_return ec;
    error_code ec;
    try {
        ec = co_await read_input();
    } catch (...) {
        failure_ = std::current_exception();
    }
    const bool cancelled_while_reading = co_await cancelled();
    if (failure_ || cancelled_while_reading)
        co_await stop();
    if (cancelled_while_reading)
        ec = asio::error::operation_aborted;
    constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
    while (in_flight_ > 0) {
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(tuple_awaitable);
        const bool cancelled_now = co_await cancelled();
        if (cancelled_now && !stopping_) {
            co_await stop();
            ec = asio::error::operation_aborted;
        }
        progress(false);
    }
    co_await client_->async_shutdown(std::chrono::milliseconds(0), tuple_awaitable);
    for (append_log* log : {&output_, &errors_})
        if (error_code sync = log->sync(); sync && !write_error_)
            write_error_ = sync;
    summary.wall_time = std::chrono::duration_cast<std::chrono::milliseconds>(batch_running::clock::now() - started_);
    summary.latency_ms = {latency_.percentile(50), latency_.percentile(90), latency_.percentile(99)};
    summary.time_to_headers_ms = {headers_.percentile(50), headers_.percentile(90), headers_.percentile(99)};
    {
        std::ofstream file(options_.summary, std::ios::trunc);
        file << boost::json::serialize(to_json(summary)) << '\n';
        if (!file && !write_error_)
            write_error_ = make_error_code(boost::system::errc::io_error);
    }
    progress(true);
    if (failure_)
        std::rethrow_exception(failure_);
    co_return ec ? ec : write_error_;
}

inline boost::asio::awaitable<error_code> batch_run::read_input() {
    line_reader input;
    if (error_code ec = input.open(options_.input))
        co_return ec;
    const batch_shard shard = options_.shard;
    lines_total_ = input.count_lines();
    if (lines_total_) {
        // This shard's share, with room for the hash's unevenness.
        const std::size_t share = *lines_total_ / shard.count;
        ids_.reserve(std::max(ids_.size(), shard.count == 1 ? share : share + share / 16 + 64));
    }
    for (std::size_t number = 1;; ++number) {
        std::string_view text;
        error_code ec;
        const line_reader::result r = input.next(text, options_.max_line_size, ec);
        if (ec)
            co_return ec;
        if (r == line_reader::result::end)
            break;
        lines_read_ = number;
        if (r == line_reader::result::too_long) {
            if (number % shard.count == shard.index) {
                ++summary.lines;
                report_line(number, {}, "invalid_line",
                            "longer than " + std::to_string(options_.max_line_size) + " bytes");
            }
            continue;
        }
        if (text.ends_with('\r'))
            text.remove_suffix(1);
        if (text.find_first_not_of(" \t") == std::string_view::npos)
            continue;
        input_line line = parse_input_line(text);
        const std::size_t owner = line.custom_id.empty() ? number % shard.count : shard_of(line.custom_id, shard.count);
        if (owner != shard.index)
            continue;
        ++summary.lines;
        if (!line.error_code.empty()) {
            report_line(number, line.custom_id, line.error_code, line.error_message);
            continue;
        }
        const id_set::marks before = ids_.mark(line.custom_id, id_set::in_input);
        if (before & id_set::in_input) {
            report_line(number, line.custom_id, "duplicate_custom_id",
                        "custom_id " + line.custom_id + " was on an earlier line");
            continue;
        }
        if (before & id_set::in_files) {
            ++summary.skipped;
            continue;
        }
        const double tokens = batch_running::estimated_tokens(line.body, text.size());
        co_await wait_for_room(tokens);
        if ((co_await boost::asio::this_coro::cancellation_state).cancelled() != boost::asio::cancellation_type::none)
            co_return error_code();
        if (write_error_)
            co_return write_error_;
        if (failure_)
            co_return error_code();
        ++in_flight_;
        boost::asio::co_spawn(strand_, call(std::move(line), tokens), boost::asio::detached);
        progress(false);
    }
    input_done_ = true;
    co_return error_code();
}

// Until a call may start: fewer under way than the bound, the pause over,
// the rate caps met. Returns early when cancelled.
inline boost::asio::awaitable<void> batch_run::wait_for_room(double tokens) {
    namespace asio = boost::asio;
    for (;;) {
        const auto now = batch_running::clock::now();
        auto ready = std::max({limit_.ready_at(), requests_.ready_at(now, 1), tokens_.ready_at(now, tokens)});
        if (in_flight_ < limit_.current() && ready <= now) {
            requests_.take(now, 1);
            tokens_.take(now, tokens);
            limit_.on_sent(now, tokens);
            co_return;
        }
        if (in_flight_ >= limit_.current())
            ready = asio::steady_timer::time_point::max(); // a call's end wakes the reader
        if (output_.dirty() || errors_.dirty())            // and the next sync, if one is owed
            ready = std::min(ready, std::max(last_sync_ + options_.sync_interval, now + std::chrono::milliseconds(1)));
        wake_.expires_at(ready);
        constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
        co_await wake_.async_wait(tuple_awaitable);
        if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
            co_return;
        sync_if_due();
        progress(false);
    }
}

inline boost::asio::awaitable<void> batch_run::call(input_line line, double tokens) {
    namespace asio = boost::asio;
    auto self = shared_from_this();
    diagnostics diag;
    const auto start = batch_running::clock::now();
    try {
        constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
        auto [ec, completion] = co_await client_->async_chat(line.body, options_.request, diag, tuple_awaitable);
        const auto now = batch_running::clock::now();
        if (ec == asio::error::operation_aborted && stopping_) {
            // Cancelled by the run's end: not written, a later run makes it.
        } else if (ec) {
            throttled(ec, now, diag.retry_after.value_or(round_));
            failed(line.custom_id, ec, diag);
        } else {
            round_ = (round_ * 7 + std::chrono::duration_cast<std::chrono::milliseconds>(now - start)) / 8;
            limit_.on_answer(now, completion.response.rate_limits);
            answered(line.custom_id, completion, now - start, tokens);
        }
    } catch (const std::exception&) {
        // Memory exhausted: the line is not written, a later run makes it.
        write_error_ = make_error_code(boost::system::errc::not_enough_memory);
    }
    --in_flight_;
    wake_.cancel();
}

inline void batch_run::answered(const std::string& custom_id, const chat_completion& completion,
                                batch_running::clock::duration t, double tokens) {
    if (!write(output_, answer_record(custom_id, completion)))
        return; // not written: a later run makes it
    ++summary.succeeded;
    latency_.add(batch_running::milliseconds(t));
    headers_.add(batch_running::milliseconds(completion.response.time_to_headers));
    if (const std::optional<usage>& u = completion.usage) {
        const std::int64_t total =
            u->total_tokens.value_or(u->prompt_tokens.value_or(0) + u->completion_tokens.value_or(0));
        summary.prompt_tokens += u->prompt_tokens.value_or(0);
        summary.completion_tokens += u->completion_tokens.value_or(0);
        total_tokens_ += static_cast<std::size_t>(std::max<std::int64_t>(0, total));
        if (u->completion_tokens_details && u->completion_tokens_details->reasoning_tokens)
            summary.reasoning_tokens += *u->completion_tokens_details->reasoning_tokens;
        if (u->prompt_tokens_details && u->prompt_tokens_details->cached_tokens)
            summary.cached_tokens += *u->prompt_tokens_details->cached_tokens;
        if (const boost::json::value* cost = u->extra.if_contains("cost"); cost && cost->is_number())
            summary.cost = summary.cost.value_or(0) + cost->to_number<double>();
        // The estimate taken at the start, corrected.
        tokens_.take(batch_running::clock::now(), static_cast<double>(total) - tokens);
    }
}

inline void batch_run::failed(const std::string& custom_id, error_code ec, const diagnostics& diag) {
    if (!write(errors_, failure_record(custom_id, ec, diag)))
        return;
    ++summary.failed;
    ++summary.errors[error_name(ec)];
}

inline void batch_run::report_line(std::size_t line, std::string_view custom_id, std::string_view code,
                                   std::string_view message) {
    if (reported_.contains(line)) {
        ++summary.skipped;
        return;
    }
    if (!write(errors_, line_record(line, custom_id, code, message)))
        return;
    ++summary.invalid_lines;
    ++summary.errors[std::string(code)];
}

// False when the record could not be written (the run then ends).
// The record goes to the file with the others that arrive in this turn of
// the strand's queue: one write(2) for them all, made as soon as they are
// recorded.
inline bool batch_run::write(append_log& log, std::string_view record) {
    if (write_error_)
        return false;
    log.append(record);
    if (!flush_posted_) {
        flush_posted_ = true;
        boost::asio::post(strand_, [self = shared_from_this()] { self->flush(); });
    }
    return true;
}

inline void batch_run::flush() {
    flush_posted_ = false;
    for (append_log* log : {&output_, &errors_})
        if (error_code ec = log->flush(); ec && !write_error_)
            write_error_ = ec;
    sync_if_due();
}

inline void batch_run::sync_if_due() {
    const auto now = batch_running::clock::now();
    if (now - last_sync_ < options_.sync_interval)
        return;
    last_sync_ = now;
    for (append_log* log : {&output_, &errors_})
        if (error_code ec = log->sync(); ec && !write_error_)
            write_error_ = ec;
}

inline batch_progress batch_run::snapshot() const {
    batch_progress p;
    p.lines_read = lines_read_;
    p.lines_total = lines_total_;
    p.input_done = input_done_;
    p.succeeded = summary.succeeded;
    p.failed = summary.failed + summary.invalid_lines;
    p.skipped = summary.skipped;
    p.in_flight = in_flight_;
    p.concurrency = limit_.current();
    p.total_tokens = static_cast<std::int64_t>(total_tokens_);
    p.elapsed = batch_running::clock::now() - started_;
    return p;
}

// A callback that throws stops the run (failure_), and is not called again.
inline void batch_run::progress(bool last) {
    if (!options_.on_progress)
        return;
    const auto now = batch_running::clock::now();
    if (!last && now - last_progress_ < options_.progress_interval)
        return;
    last_progress_ = now;
    try {
        options_.on_progress(snapshot());
    } catch (...) {
        if (!failure_)
            failure_ = std::current_exception();
        options_.on_progress = nullptr;
    }
}

DGRID_DECL void start_batch(boost::asio::any_io_executor ex, client_options client, batch_options batch,
                            batch_handler handler) {
    namespace asio = boost::asio;
    auto strand = asio::make_strand(ex);
    auto run = std::make_shared<batch_run>(strand, std::move(client), std::move(batch));
    auto slot = asio::get_associated_cancellation_slot(handler);
    asio::co_spawn(strand, run->run(),
                   asio::bind_cancellation_slot(
                       slot, [ex, run, handler = std::move(handler)](std::exception_ptr e, error_code ec) mutable {
                           if (e) {
                               try {
                                   std::rethrow_exception(e);
                               } catch (const std::bad_alloc&) {
                                   ec = make_error_code(boost::system::errc::not_enough_memory);
                               } catch (...) {
                                   ec = make_error_code(boost::system::errc::operation_canceled); // from on_progress
                               }
                           }
                           // On the handler's executor, not the run's strand.
                           auto handler_ex = asio::get_associated_executor(handler, ex);
                           asio::dispatch(handler_ex, asio::append(std::move(handler), ec, std::move(run->summary)));
                       }));
}

} // namespace detail

DGRID_DECL std::size_t shard_of(std::string_view custom_id, std::size_t count) noexcept {
    return count <= 1 ? 0 : static_cast<std::size_t>(detail::fnv1a(custom_id) % count);
}

DGRID_DECL std::filesystem::path shard_path(const std::filesystem::path& path, batch_shard shard) {
    if (shard.count <= 1)
        return path;
    return detail::batch_running::beside(path, ".shard-" + std::to_string(shard.index) + "-of-" +
                                                   std::to_string(shard.count));
}

DGRID_DECL std::filesystem::path errors_path(const std::filesystem::path& output) {
    return detail::batch_running::beside(output, ".errors");
}

DGRID_DECL std::optional<batch_shard> shard_from_environment(std::optional<std::size_t> count) {
    const auto number = [](const char* name) -> std::optional<std::size_t> {
        const char* text = std::getenv(name);
        if (!text || !*text)
            return std::nullopt;
        std::size_t n = 0;
        const std::string_view s(text);
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc() || end != s.data() + s.size())
            throw std::invalid_argument(std::string(name) + " is not a number: " + text);
        return n;
    };
    std::optional<batch_shard> shard;
    if (const auto task = number("SLURM_ARRAY_TASK_ID")) {
        // An array `--array=1-4` numbers its tasks from SLURM_ARRAY_TASK_MIN.
        const std::size_t min = number("SLURM_ARRAY_TASK_MIN").value_or(0);
        const auto tasks = number("SLURM_ARRAY_TASK_COUNT");
        if (!tasks || *task < min)
            throw std::invalid_argument("SLURM_ARRAY_TASK_ID is set without a matching SLURM_ARRAY_TASK_COUNT");
        shard = batch_shard{*task - min, *tasks};
    } else if (const auto index = number("JOB_COMPLETION_INDEX")) {
        const auto n = count ? count : number("DGRID_SHARD_COUNT");
        if (!n)
            throw std::invalid_argument("JOB_COMPLETION_INDEX is set: give the shard count (the Job's completions)");
        shard = batch_shard{*index, *n};
    }
    if (shard && (shard->count == 0 || shard->index >= shard->count))
        throw std::invalid_argument("shard " + std::to_string(shard->index) + " of " + std::to_string(shard->count) +
                                    " does not exist");
    return shard;
}

DGRID_DECL boost::json::value to_json(const batch_summary& s) {
    namespace json = boost::json;
    const auto percentiles = [](const std::array<double, 3>& p) {
        return json::object{{"p50", p[0]}, {"p90", p[1]}, {"p99", p[2]}};
    };
    json::object errors;
    for (const auto& [name, n] : s.errors)
        errors.emplace(name, n);
    json::object o{{"lines", s.lines},
                   {"succeeded", s.succeeded},
                   {"failed", s.failed},
                   {"invalid_lines", s.invalid_lines},
                   {"skipped", s.skipped},
                   {"errors", std::move(errors)},
                   {"prompt_tokens", s.prompt_tokens},
                   {"completion_tokens", s.completion_tokens},
                   {"reasoning_tokens", s.reasoning_tokens},
                   {"cached_tokens", s.cached_tokens},
                   {"cost", s.cost ? json::value(*s.cost) : json::value()},
                   {"latency_ms", percentiles(s.latency_ms)},
                   {"time_to_headers_ms", percentiles(s.time_to_headers_ms)},
                   {"retries", s.retries},
                   {"throttled", s.throttled},
                   {"wall_time_ms", s.wall_time.count()}};
    return o;
}

DGRID_DECL batch_merge_report merge_batch_results(const std::filesystem::path& input,
                                                  const std::vector<std::filesystem::path>& shard_outputs,
                                                  const std::vector<std::filesystem::path>& shard_errors,
                                                  const std::filesystem::path& output,
                                                  const std::filesystem::path& errors) {
    const auto fail = [](int value, const std::string& what) {
        throw std::system_error(value, std::generic_category(), what);
    };
    // custom_id -> records of it: answers, failures.
    std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> records;
    // Each file is written beside its place and renamed into it once whole,
    // so that a merge that fails leaves an earlier merged file as it was.
    const auto join = [&](const std::vector<std::filesystem::path>& parts, const std::filesystem::path& to,
                          bool answers) {
        std::error_code same;
        for (const std::filesystem::path& part : parts)
            if (std::filesystem::equivalent(part, to, same))
                fail(EINVAL, "cannot merge " + part.string() + " into itself");
        std::filesystem::path partial = to;
        partial += ".partial";
        std::ofstream out(partial, std::ios::trunc | std::ios::binary);
        if (!out)
            fail(errno, "cannot write " + partial.string());
        for (const std::filesystem::path& part : parts) {
            detail::line_reader lines;
            if (error_code ec = lines.open(part))
                fail(ec.value(), "cannot read " + part.string());
            for (;;) {
                std::string_view line;
                error_code ec;
                const auto r = lines.next(line, std::numeric_limits<std::size_t>::max(), ec);
                if (ec)
                    fail(ec.value(), "cannot read " + part.string());
                if (r == detail::line_reader::result::end || r == detail::line_reader::result::torn)
                    break;
                if (line.empty())
                    continue;
                out << line << '\n';
                if (const auto key = detail::read_record_key(line); key && !key->line) {
                    auto& [a, f] = records[key->custom_id];
                    ++(answers ? a : f);
                }
            }
        }
        out.close();
        if (!out)
            fail(errno, "cannot write " + partial.string());
        std::error_code ec;
        std::filesystem::rename(partial, to, ec);
        if (ec)
            fail(ec.value(), "cannot write " + to.string());
    };
    join(shard_outputs, output, true);
    join(shard_errors, errors, false);

    batch_merge_report report;
    detail::line_reader lines;
    if (error_code ec = lines.open(input))
        fail(ec.value(), "cannot read " + input.string());
    std::unordered_set<std::string> checked;
    for (;;) {
        std::string_view text;
        error_code ec;
        // As a run reads it: a line too long was reported, not answered.
        const auto r = lines.next(text, batch_options{}.max_line_size, ec);
        if (ec)
            fail(ec.value(), "cannot read " + input.string());
        if (r == detail::line_reader::result::end)
            break;
        if (r == detail::line_reader::result::too_long)
            continue;
        const detail::input_line line = detail::parse_input_line(text);
        if (line.custom_id.empty() || !line.error_code.empty() || !checked.insert(line.custom_id).second)
            continue; // reported by line number, not answered
        const auto it = records.find(line.custom_id);
        const auto [answers, failures] = it == records.end() ? std::pair<std::size_t, std::size_t>() : it->second;
        if (answers + failures == 0)
            report.missing.push_back(line.custom_id);
        else if (answers + failures > 1)
            report.duplicated.push_back(line.custom_id);
        else if (answers == 1)
            ++report.answered;
        else
            ++report.failed;
    }
    return report;
}

} // namespace dgrid

#endif
