#ifndef DGRID_TEST_BATCH_BATCH_FILES_HPP
#define DGRID_TEST_BATCH_BATCH_FILES_HPP

// The emulator of batch tests, input files, and the checks of what a batch
// wrote.

#include "fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

namespace dgrid::test {

// An emulator that fails `fault_rate` of the requests at random (a seeded
// 500, 503 or reset), allows `rpm` requests a minute (0: any), and runs on
// `threads` threads of its own (so that a test may block on processes).
inline emulator::server_options batch_emulator(double fault_rate = 0, std::uint64_t rpm = 0, unsigned threads = 1) {
    emulator::server_options o = emulator_defaults();
    o.random_fault_rate = fault_rate;
    o.random_fault_seed = 7;
    o.requests_per_minute = rpm;
    o.threads = threads;
    return o;
}

// A directory of its own under the temporary directory, removed at the end.
struct temp_dir {
    temp_dir() {
        static int n = 0;
        path = std::filesystem::temp_directory_path() /
               ("dgrid-batch-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    std::filesystem::path operator/(const std::string& name) const { return path / name; }
    std::filesystem::path path;
};

// The prompt of line `i`, which emulator/echo answers with.
inline std::string prompt_of(std::size_t i) { return "prompt number " + std::to_string(i); }
inline std::string id_of(std::size_t i) { return "request-" + std::to_string(i); }

inline std::string input_line_of(std::size_t i) {
    return R"({"custom_id":")" + id_of(i) + R"(","method":"POST","url":"/v1/chat/completions",)" +
           R"("body":{"model":"emulator/echo","messages":[{"role":"user","content":")" + prompt_of(i) + R"("}]}})";
}

// `lines` requests, request-0 to request-(lines-1).
inline void write_input(const std::filesystem::path& path, std::size_t lines) {
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = 0; i < lines; ++i)
        out << input_line_of(i) << '\n';
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// The records of a file; fails the test on a line that is not one, or a
// last line without its newline.
inline std::vector<boost::json::value> read_records(const std::filesystem::path& path) {
    std::vector<boost::json::value> records;
    if (!std::filesystem::exists(path))
        return records;
    const std::string text = read_text(path);
    BOOST_TEST((text.empty() || text.back() == '\n'), path << " ends with a torn line");
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end - start);
        start = end == std::string::npos ? text.size() : end + 1;
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(line, ec);
        BOOST_TEST_REQUIRE(!ec, path << ": not JSON: " << line);
        records.push_back(std::move(v));
    }
    return records;
}

// How many records each custom_id has across `output` and `errors`
// (records of lines, with a `line`, apart), checking every answer's body:
// emulator/echo says the prompt back.
struct batch_outcome {
    std::map<std::string, int> answers;
    std::map<std::string, int> failures;
    std::map<std::size_t, int> reported_lines;
};

inline batch_outcome read_outcome(const std::filesystem::path& output, const std::filesystem::path& errors) {
    batch_outcome out;
    for (const boost::json::value& r : read_records(output)) {
        const std::string id(r.at("custom_id").as_string());
        ++out.answers[id];
        const std::size_t i = std::stoul(id.substr(id.find('-') + 1));
        BOOST_TEST(r.at("response").at("status_code") == 200);
        BOOST_TEST(r.at("error").is_null());
        BOOST_TEST(r.at("response").at("body").at("choices").at(0).at("message").at("content").as_string() ==
                   prompt_of(i));
    }
    for (const boost::json::value& r : read_records(errors)) {
        if (const boost::json::value* line = r.as_object().if_contains("line")) {
            ++out.reported_lines[static_cast<std::size_t>(line->to_number<std::int64_t>())];
            continue;
        }
        ++out.failures[std::string(r.at("custom_id").as_string())];
        BOOST_TEST(!r.at("error").at("code").as_string().empty());
    }
    return out;
}

// Every one of `lines` requests answered or failed exactly once.
inline void check_exactly_once(const batch_outcome& o, std::size_t lines) {
    for (std::size_t i = 0; i < lines; ++i) {
        const std::string id = id_of(i);
        const int answers = o.answers.contains(id) ? o.answers.at(id) : 0;
        const int failures = o.failures.contains(id) ? o.failures.at(id) : 0;
        BOOST_TEST(answers + failures == 1, id << ": " << answers << " answers, " << failures << " failures");
    }
    BOOST_TEST(o.answers.size() + o.failures.size() == lines);
}

} // namespace dgrid::test

#endif
