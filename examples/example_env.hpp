#ifndef DGRID_EXAMPLES_EXAMPLE_ENV_HPP
#define DGRID_EXAMPLES_EXAMPLE_ENV_HPP

// Shared by the examples: where to connect, from the environment.
//   DGRID_API_KEY   the key (required by the client)
//   DGRID_BASE_URL  another gateway, e.g. the bundled emulator
//   DGRID_CA_FILE   a CA to trust instead of the system store

#include <dgrid/client_options.hpp>

#include <cstdlib>

inline dgrid::client_options options_from_environment() {
    dgrid::client_options options;
    if (const char* url = std::getenv("DGRID_BASE_URL"))
        options.base_url = url;
    if (const char* ca = std::getenv("DGRID_CA_FILE"))
        options.ca_file = ca;
    options.default_headers.push_back({"X-Title", "dgrid-cpp example"});
    return options;
}

#endif
