#include "cli_common.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <exception>
#include <iostream>

namespace dgrid_cli {

void add_connection_flags(CLI::App& app, connection_flags& flags) {
    app.add_option("--base-url", flags.base_url,
                   "The gateway's base URL (default: $DGRID_BASE_URL, else the DGrid API)");
    app.add_option("--ca-file", flags.ca_file,
                   "PEM file of the CAs to trust (default: $DGRID_CA_FILE, else the system's)");
    app.add_option("--api-key-env", flags.api_key_env, "The environment variable that holds the API key")
        ->capture_default_str();
    app.add_option("--header,-H", flags.headers, "\"Name: value\": a header sent with every request (repeatable)");
}

dgrid::client_options client_options_from(const connection_flags& flags) {
    dgrid::client_options options;
    const auto env = [](const char* name) -> std::string {
        const char* v = std::getenv(name);
        return v ? v : "";
    };
    options.base_url = !flags.base_url.empty() ? flags.base_url : env("DGRID_BASE_URL");
    if (options.base_url.empty())
        options.base_url = dgrid::client_options{}.base_url;
    options.ca_file = !flags.ca_file.empty() ? flags.ca_file : env("DGRID_CA_FILE");
    const std::string key = env(flags.api_key_env.c_str());
    if (key.empty())
        throw CLI::ValidationError("--api-key-env", "no API key: $" + flags.api_key_env + " is not set");
    options.api_key = key;
    options.default_headers.push_back({"X-Title", "dgrid-cli"});
    for (const std::string& header : flags.headers) {
        const std::size_t colon = header.find(':');
        if (colon == std::string::npos || colon == 0)
            throw CLI::ValidationError("--header", "expected \"Name: value\", got \"" + header + "\"");
        const std::size_t value = header.find_first_not_of(" \t", colon + 1);
        options.default_headers.push_back(
            {header.substr(0, colon), value == std::string::npos ? std::string() : header.substr(value)});
    }
    return options;
}

int run_with_client(const connection_flags& flags,
                    const std::function<boost::asio::awaitable<int>(dgrid::client&)>& command) {
    boost::asio::io_context io;
    dgrid::client client(io, client_options_from(flags));
    int exit_code = exit_failed;
    boost::asio::co_spawn(io, command(client), [&](std::exception_ptr e, int code) {
        if (e)
            std::rethrow_exception(e);
        exit_code = code;
    });
    io.run();
    return exit_code;
}

void report_error(std::string_view what, dgrid::error_code ec, const dgrid::diagnostics& diag) {
    std::cerr << "dgrid: " << what << ": " << (diag.message.empty() ? ec.message() : diag.message);
    if (diag.http_status != 0 || !diag.request_id.empty()) {
        std::cerr << " (";
        if (diag.http_status != 0)
            std::cerr << "HTTP " << diag.http_status << (diag.request_id.empty() ? "" : ", ");
        if (!diag.request_id.empty())
            std::cerr << "request id " << diag.request_id;
        std::cerr << ')';
    }
    std::cerr << '\n';
}

} // namespace dgrid_cli
