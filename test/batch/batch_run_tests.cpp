// async_run_batch against the emulator over TLS, in-process: exactly once
// under faults and rate limits, lines reported by number, resumption after a
// cancelled run or a torn line, retrying the failed lines, shards merged.
#include "batch_files.hpp"
#include "fixture.hpp"

#include <dgrid/batch.hpp>

#include <dgrid/detail/batch/append_log.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <thread>

using namespace dgrid;
using namespace dgrid::test;

namespace {

struct batch_result {
    error_code ec;
    batch_summary summary;
};

// Runs a batch on the fixture's io_context to its end.
batch_result run_batch(emulator_fixture& f, batch_options options, client_options client = {},
                       asio::cancellation_slot slot = {}) {
    if (client.base_url == client_options{}.base_url)
        client = f.client_options_for();
    batch_result result;
    bool done = false;
    async_run_batch(f.io.get_executor(), std::move(client), std::move(options),
                    asio::bind_cancellation_slot(slot, [&](error_code ec, batch_summary s) {
                        result = {ec, std::move(s)};
                        done = true;
                    }));
    f.io.restart();
    f.io.run();
    BOOST_TEST_REQUIRE(done);
    return result;
}

batch_options options_for(const temp_dir& dir, const std::string& input = "in.jsonl") {
    batch_options o;
    o.input = dir / input;
    o.output = dir / "out.jsonl";
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(batch_runs)

BOOST_AUTO_TEST_CASE(five_thousand_lines_with_faults_and_a_rate_limit) {
    // 5 % of requests fail (500, 503, reset) and the key has 4,800 requests a
    // minute: the last few hundred lines meet 429s.
    emulator_fixture f(batch_emulator(0.05, 4800));
    temp_dir dir;
    constexpr std::size_t lines = 5000;
    write_input(dir / "in.jsonl", lines);
    client_options client = f.client_options_for();
    client.retry.max_retries = 8;
    client.retry.initial_backoff = std::chrono::milliseconds(20);
    client.retry.budget_ratio = 1.0;
    batch_options options = options_for(dir);
    options.max_concurrency = 64;
    const batch_result r = run_batch(f, options, client);
    BOOST_TEST(!r.ec, r.ec.message());
    const batch_outcome o = read_outcome(dir / "out.jsonl", dir / "out.errors.jsonl");
    check_exactly_once(o, lines);
    BOOST_TEST(r.summary.lines == lines);
    BOOST_TEST(r.summary.succeeded == o.answers.size());
    BOOST_TEST(r.summary.failed == o.failures.size());
    BOOST_TEST(r.summary.succeeded > lines * 9 / 10);
    BOOST_TEST(r.summary.retries > 0u);
    BOOST_TEST(r.summary.prompt_tokens > 0);
    BOOST_TEST(r.summary.latency_ms[0] > 0);
    BOOST_TEST(r.summary.latency_ms[0] <= r.summary.latency_ms[2]);
    // The summary's file says the same.
    BOOST_TEST(read_text(dir / "out.summary.json") == boost::json::serialize(to_json(r.summary)) + "\n");
}

BOOST_AUTO_TEST_CASE(bad_lines_are_reported_by_number) {
    emulator_fixture f;
    temp_dir dir;
    {
        std::ofstream in(dir / "in.jsonl", std::ios::binary);
        in << input_line_of(0) << '\n'                                                          // 1
           << "not json\n"                                                                      // 2
           << input_line_of(1) << "\r\n"                                                        // 3
           << '\n'                                                                              // 4: blank
           << R"({"custom_id":"e","url":"/v1/embeddings","body":{}})" << '\n'                   // 5
           << input_line_of(0) << '\n'                                                          // 6: duplicate
           << R"({"custom_id":"m","url":"/v1/chat/completions","body":{"messages":3}})" << '\n' // 7
           << R"({"custom_id":"n","url":"/v1/chat/completions","body":{"model":"nope","messages":[{"role":"user",)"
           << R"("content":"x"}]}})"; // 8, no newline
    }
    const batch_result r = run_batch(f, options_for(dir));
    BOOST_TEST(!r.ec);
    const batch_outcome o = read_outcome(dir / "out.jsonl", dir / "out.errors.jsonl");
    BOOST_TEST(o.answers.size() == 2u);
    BOOST_TEST((o.reported_lines == std::map<std::size_t, int>{{2, 1}, {5, 1}, {6, 1}, {7, 1}}));
    BOOST_TEST((o.failures == std::map<std::string, int>{{"n", 1}})); // the gateway's 404
    BOOST_TEST(r.summary.invalid_lines == 4u);
    const std::map<std::string, std::size_t> by_name = {
        {"duplicate_custom_id", 1}, {"unknown_url", 1}, {"invalid_line", 2}, {"not_found", 1}};
    BOOST_TEST_INFO(boost::json::serialize(to_json(r.summary)));
    BOOST_TEST((r.summary.errors == by_name));
    bool named_404 = false;
    for (const boost::json::value& rec : read_records(dir / "out.errors.jsonl"))
        if (rec.at("custom_id") == "n")
            named_404 =
                rec.at("response").at("status_code") == 404 && !rec.at("response").at("request_id").as_string().empty();
    BOOST_TEST(named_404);

    // Run again: nothing is written twice.
    const std::string before = read_text(dir / "out.jsonl") + read_text(dir / "out.errors.jsonl");
    const batch_result again = run_batch(f, options_for(dir));
    BOOST_TEST(!again.ec);
    BOOST_TEST(again.summary.skipped == 7u);
    BOOST_TEST(again.summary.succeeded + again.summary.failed + again.summary.invalid_lines == 0u);
    BOOST_TEST(read_text(dir / "out.jsonl") + read_text(dir / "out.errors.jsonl") == before);
}

BOOST_AUTO_TEST_CASE(a_cancelled_run_resumes_exactly_once) {
    emulator_fixture f;
    temp_dir dir;
    constexpr std::size_t lines = 600;
    write_input(dir / "in.jsonl", lines);
    asio::cancellation_signal stop;
    batch_options options = options_for(dir);
    options.fixed_concurrency = 8;
    options.progress_interval = std::chrono::milliseconds(0);
    options.on_progress = [&](const batch_progress& p) {
        if (p.succeeded >= 100)
            stop.emit(asio::cancellation_type::terminal);
    };
    const batch_result first = run_batch(f, options, {}, stop.slot());
    BOOST_TEST(first.ec == asio::error::operation_aborted);
    BOOST_TEST(first.summary.succeeded >= 100u);
    BOOST_TEST(first.summary.succeeded < lines);
    const std::size_t answered = read_records(dir / "out.jsonl").size();
    BOOST_TEST(answered == first.summary.succeeded);

    options.on_progress = nullptr;
    const batch_result second = run_batch(f, options);
    BOOST_TEST(!second.ec);
    BOOST_TEST(second.summary.skipped == answered);
    BOOST_TEST(second.summary.succeeded == lines - answered);
    check_exactly_once(read_outcome(dir / "out.jsonl", dir / "out.errors.jsonl"), lines);
}

BOOST_AUTO_TEST_CASE(a_torn_last_line_is_cut_and_its_request_made_again) {
    emulator_fixture f;
    temp_dir dir;
    write_input(dir / "in.jsonl", 20);
    BOOST_TEST_REQUIRE(!run_batch(f, options_for(dir)).ec);
    // As a stop in the middle of a write would leave it: the last record cut.
    std::string text = read_text(dir / "out.jsonl");
    const std::size_t last = text.rfind('\n', text.size() - 2) + 1;
    const std::string cut_id = std::string(boost::json::parse(text.substr(last)).at("custom_id").as_string());
    text.resize(last + 30);
    std::ofstream(dir / "out.jsonl", std::ios::binary | std::ios::trunc) << text;

    const batch_result r = run_batch(f, options_for(dir));
    BOOST_TEST(!r.ec);
    BOOST_TEST(r.summary.succeeded == 1u);
    BOOST_TEST(r.summary.skipped == 19u);
    const batch_outcome o = read_outcome(dir / "out.jsonl", dir / "out.errors.jsonl");
    check_exactly_once(o, 20);
    BOOST_TEST(o.answers.contains(cut_id));
}

BOOST_AUTO_TEST_CASE(retry_failed_runs_the_errors_again) {
    temp_dir dir;
    write_input(dir / "in.jsonl", 30);
    {
        emulator_fixture down(batch_emulator(1.0)); // every request fails
        const batch_result r = run_batch(down, options_for(dir));
        BOOST_TEST(!r.ec);
        BOOST_TEST(r.summary.failed == 30u);
        // Without --retry-failed a failed line stays failed.
        const batch_result again = run_batch(down, options_for(dir));
        BOOST_TEST(again.summary.skipped == 30u);
    }
    emulator_fixture up;
    batch_options options = options_for(dir);
    options.retry_failed = true;
    const batch_result r = run_batch(up, options);
    BOOST_TEST(!r.ec);
    BOOST_TEST(r.summary.succeeded == 30u);
    const batch_outcome o = read_outcome(dir / "out.jsonl", dir / "out.errors.jsonl");
    check_exactly_once(o, 30);
    BOOST_TEST(o.failures.empty());
    BOOST_TEST(read_records(dir / "out.errors.jsonl.retried").size() == 30u);
}

BOOST_AUTO_TEST_CASE(shards_merged) {
    emulator_fixture f;
    temp_dir dir;
    constexpr std::size_t lines = 200;
    write_input(dir / "in.jsonl", lines);
    std::vector<std::filesystem::path> outputs, errors;
    std::size_t total = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        batch_options options = options_for(dir);
        options.shard = {i, 4};
        options.output = shard_path(dir / "out.jsonl", options.shard);
        const batch_result r = run_batch(f, options);
        BOOST_TEST(!r.ec);
        BOOST_TEST(r.summary.lines > 20u); // about a quarter each
        total += r.summary.lines;
        outputs.push_back(options.output);
        errors.push_back(errors_path(options.output));
    }
    BOOST_TEST(total == lines);
    const batch_merge_report report =
        merge_batch_results(dir / "in.jsonl", outputs, errors, dir / "out.jsonl", dir / "out.errors.jsonl");
    BOOST_TEST(report.complete());
    BOOST_TEST(report.answered == lines);
    check_exactly_once(read_outcome(dir / "out.jsonl", dir / "out.errors.jsonl"), lines);

    // A shard missing: merge says which lines are not answered.
    const batch_merge_report partial = merge_batch_results(dir / "in.jsonl", {outputs[0], outputs[1], outputs[2]}, {},
                                                           dir / "some.jsonl", dir / "some.errors.jsonl");
    BOOST_TEST(!partial.complete());
    BOOST_TEST(partial.missing.size() == lines - report.answered + read_records(outputs[3]).size());
    // A shard given twice: every line of it twice.
    const batch_merge_report twice = merge_batch_results(dir / "in.jsonl", {outputs[0], outputs[0]}, {},
                                                         dir / "two.jsonl", dir / "two.errors.jsonl");
    BOOST_TEST(twice.duplicated.size() == read_records(outputs[0]).size());
}

BOOST_AUTO_TEST_CASE(cancelled_with_every_line_under_way) {
    emulator_fixture f;
    temp_dir dir;
    write_input(dir / "in.jsonl", 5);
    batch_options options = options_for(dir);
    options.request.extra_headers.push_back({"X-Emulator-Fault", "stall=10000"});
    // The whole input is read at once; then the run waits for the calls.
    asio::cancellation_signal stop;
    asio::steady_timer timer(f.io, std::chrono::milliseconds(300));
    timer.async_wait([&](error_code) { stop.emit(asio::cancellation_type::terminal); });
    const auto start = std::chrono::steady_clock::now();
    const batch_result r = run_batch(f, options, {}, stop.slot());
    BOOST_TEST(r.ec == asio::error::operation_aborted);
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(5)));
    BOOST_TEST(read_records(dir / "out.jsonl").empty());
    BOOST_TEST(read_records(dir / "out.errors.jsonl").empty());
    // Nothing was written for them: the next run makes them all.
    const batch_result again = run_batch(f, options_for(dir));
    BOOST_TEST(again.summary.succeeded == 5u);
}

BOOST_AUTO_TEST_CASE(the_handler_runs_on_its_own_executor_and_threads_may_share_the_work) {
    emulator_fixture f(batch_emulator(0, 0, 2));
    temp_dir dir;
    constexpr std::size_t lines = 300;
    write_input(dir / "in.jsonl", lines);
    client_options client = f.client_options_for();
    client.thread_safe = true;
    auto handler_strand = asio::make_strand(f.io);
    bool on_its_strand = false;
    batch_summary summary;
    async_run_batch(f.io.get_executor(), client, options_for(dir),
                    asio::bind_executor(handler_strand, [&](error_code ec, batch_summary s) {
                        BOOST_TEST(!ec);
                        on_its_strand = handler_strand.running_in_this_thread();
                        summary = std::move(s);
                    }));
    std::thread second([&] { f.io.run(); });
    f.io.run();
    second.join();
    BOOST_TEST(on_its_strand);
    BOOST_TEST(summary.succeeded == lines);
    check_exactly_once(read_outcome(dir / "out.jsonl", dir / "out.errors.jsonl"), lines);
}

BOOST_AUTO_TEST_CASE(a_second_run_on_the_same_files_is_refused) {
    emulator_fixture f;
    temp_dir dir;
    write_input(dir / "in.jsonl", 3);
    detail::append_log held; // as another process would hold it
    BOOST_TEST_REQUIRE(!held.open(dir / "out.jsonl", [](std::string_view) {}));
    BOOST_TEST((run_batch(f, options_for(dir)).ec == std::errc::device_or_resource_busy));
}

BOOST_AUTO_TEST_CASE(merge_refuses_to_merge_a_file_into_itself) {
    emulator_fixture f;
    temp_dir dir;
    write_input(dir / "in.jsonl", 10);
    BOOST_TEST_REQUIRE(!run_batch(f, options_for(dir)).ec);
    const std::string before = read_text(dir / "out.jsonl");
    BOOST_CHECK_THROW(
        merge_batch_results(dir / "in.jsonl", {dir / "out.jsonl"}, {}, dir / "out.jsonl", dir / "merged.errors.jsonl"),
        std::system_error);
    BOOST_TEST(read_text(dir / "out.jsonl") == before);
}

BOOST_AUTO_TEST_CASE(files_that_cannot_be_used_fail_the_run) {
    emulator_fixture f;
    temp_dir dir;
    BOOST_TEST((run_batch(f, options_for(dir, "missing.jsonl")).ec == std::errc::no_such_file_or_directory));
    write_input(dir / "in.jsonl", 3);
    batch_options options = options_for(dir);
    options.output = dir / "no" / "such" / "dir" / "out.jsonl";
    BOOST_TEST((run_batch(f, options).ec == std::errc::no_such_file_or_directory));

    client_options keyless = f.client_options_for();
    keyless.api_key.reset();
    ::unsetenv("DGRID_API_KEY");
    BOOST_TEST(run_batch(f, options_for(dir), keyless).ec == error::missing_api_key);
}

BOOST_AUTO_TEST_SUITE_END()
