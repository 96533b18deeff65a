#ifndef DGRID_CLI_COMMANDS_HPP
#define DGRID_CLI_COMMANDS_HPP

// The subcommands of `dgrid`: each adds itself to the app, and when chosen
// runs and sets the exit code.

#include "cli_common.hpp"

namespace dgrid_cli {

void add_chat_command(CLI::App& app, const connection_flags& connection, int& exit_code);
void add_image_command(CLI::App& app, const connection_flags& connection, int& exit_code);
void add_models_command(CLI::App& app, const connection_flags& connection, int& exit_code);
void add_batch_command(CLI::App& app, const connection_flags& connection, int& exit_code);

} // namespace dgrid_cli

#endif
