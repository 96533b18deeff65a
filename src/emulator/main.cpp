// dgrid-emulator: the emulator as a process, for manual runs and for tests in
// other languages. Prints one line, `listening <base_url> [ca=<path>]`, then
// serves until SIGINT or SIGTERM.
#include <dgrid/emulator/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string_view>

namespace {

constexpr std::string_view usage =
    "usage: dgrid-emulator [--plain] [--port N] [--host H] [--api-key K] [--ca-file PATH]\n"
    "                      [--max-requests-per-connection N] [--token-delay-ms N] [--threads N]\n"
    "                      [--rpm N] [--tpm N] [--fault-rate P] [--fault-seed N]\n"
    "The API key defaults to $DGRID_EMULATOR_KEY, else emulator-key.\n"
    "--rpm and --tpm limit each API key's requests and tokens per minute, answering\n"
    "429 beyond them as OpenAI does; 0 (the default) is no limit.\n"
    "--fault-rate gives that share (0 to 1) of requests a 500, a 503 or a reset\n"
    "before the headers, at random from --fault-seed.\n";

template <class T>
bool parse_number(std::string_view text, T& out) {
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return !text.empty() && ec == std::errc{} && ptr == end;
}

// The options the command line asks for, or nothing after printing why not.
std::optional<dgrid::emulator::server_options> parse_arguments(int argc, char** argv) {
    dgrid::emulator::server_options options;
    if (const char* key = std::getenv("DGRID_EMULATOR_KEY"); key != nullptr && *key != '\0') {
        options.api_key = key;
    }
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--plain") {
            options.tls = false;
            continue;
        }
        constexpr std::array<std::string_view, 11> valued = {
            "--port",           "--host",    "--api-key", "--ca-file", "--max-requests-per-connection",
            "--token-delay-ms", "--threads", "--rpm",     "--tpm",     "--fault-rate",
            "--fault-seed"};
        if (std::find(valued.begin(), valued.end(), flag) == valued.end()) {
            std::cerr << "dgrid-emulator: unknown option " << flag << '\n' << usage;
            return std::nullopt;
        }
        if (i + 1 == argc) {
            std::cerr << "dgrid-emulator: " << flag << " needs a value\n" << usage;
            return std::nullopt;
        }
        const std::string_view value = argv[++i];
        std::uint64_t delay_ms = 0;
        bool ok = true;
        if (flag == "--port") {
            ok = parse_number(value, options.port);
        } else if (flag == "--host") {
            options.host = value;
        } else if (flag == "--api-key") {
            options.api_key = value;
        } else if (flag == "--ca-file") {
            options.ca_file = value;
        } else if (flag == "--max-requests-per-connection") {
            ok = parse_number(value, options.max_requests_per_connection);
        } else if (flag == "--token-delay-ms") {
            ok = parse_number(value, delay_ms);
            options.token_delay = std::chrono::milliseconds(delay_ms);
        } else if (flag == "--threads") {
            ok = parse_number(value, options.threads) && options.threads > 0;
        } else if (flag == "--rpm") {
            ok = parse_number(value, options.requests_per_minute);
        } else if (flag == "--tpm") {
            ok = parse_number(value, options.tokens_per_minute);
        } else if (flag == "--fault-rate") {
            ok = parse_number(value, options.random_fault_rate) && options.random_fault_rate >= 0 &&
                 options.random_fault_rate <= 1;
        } else if (flag == "--fault-seed") {
            ok = parse_number(value, options.random_fault_seed);
        }
        if (!ok) {
            std::cerr << "dgrid-emulator: bad value '" << value << "' for " << flag << '\n' << usage;
            return std::nullopt;
        }
    }
    return options;
}

} // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
            std::cout << usage;
            return EXIT_SUCCESS;
        }
    }
    const auto options = parse_arguments(argc, argv);
    if (!options) {
        return 2;
    }
    try {
        // Signals are caught before the server exists, so an early Ctrl-C still
        // ends in an orderly stop.
        boost::asio::io_context signal_context;
        boost::asio::signal_set signals(signal_context, SIGINT, SIGTERM);
        signals.async_wait([](const boost::system::error_code&, int) {});

        dgrid::emulator::server server(*options);
        server.start();
        std::cout << "listening " << server.base_url();
        if (options->tls) {
            std::cout << " ca=" << server.ca_file().string();
        }
        std::cout << std::endl; // flushed: a parent process waits for this line

        signal_context.run();
        server.stop();
        return EXIT_SUCCESS;
    } catch (const boost::system::system_error& e) {
        // Say what failed without Boost's source location.
        std::cerr << "dgrid-emulator: cannot start on " << options->host << " port " << options->port << ": "
                  << e.code().message() << '\n';
        return EXIT_FAILURE;
    } catch (const std::exception& e) {
        std::cerr << "dgrid-emulator: " << e.what() << '\n';
        return EXIT_FAILURE;
    }
}
