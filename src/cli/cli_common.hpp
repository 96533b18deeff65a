#ifndef DGRID_CLI_CLI_COMMON_HPP
#define DGRID_CLI_CLI_COMMON_HPP

// What every subcommand of `dgrid` shares: the connection options, the
// client made from them, the exit codes and the one-line error report.

#include <dgrid/client.hpp>
#include <dgrid/client_options.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>

#include <boost/asio/awaitable.hpp>

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace dgrid_cli {

// Exit codes (documented in docs/cli.md).
inline constexpr int exit_ok = 0;     // all done
inline constexpr int exit_failed = 1; // the call, or some lines of a batch, failed
inline constexpr int exit_usage = 2;  // the command line is wrong

struct connection_flags {
    std::string base_url; // --base-url, else DGRID_BASE_URL, else the gateway
    std::string ca_file;  // --ca-file, else DGRID_CA_FILE
    std::string api_key_env = "DGRID_API_KEY";
    std::vector<std::string> headers; // --header "Name: value", sent with every request
};

// Adds --base-url, --ca-file, --api-key-env and --header to `app`.
void add_connection_flags(CLI::App& app, connection_flags& flags);

// The client's options from the flags and the environment. Throws
// CLI::ValidationError when the key's variable is unset or a header has no
// colon.
dgrid::client_options client_options_from(const connection_flags& flags);

// Runs `command` with a client made from `flags`, on an io_context of its
// own, and returns the exit code it gives.
int run_with_client(const connection_flags& flags,
                    const std::function<boost::asio::awaitable<int>(dgrid::client&)>& command);

// "dgrid: <what>: <message> (HTTP 429, request id req_...)" on stderr.
void report_error(std::string_view what, dgrid::error_code ec, const dgrid::diagnostics& diag);

} // namespace dgrid_cli

#endif
