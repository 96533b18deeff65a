// dgrid: the command line of dgrid-cpp. `dgrid --help` lists the
// subcommands; docs/cli.md describes them and the exit codes.
#include "commands.hpp"

#include <dgrid/version.hpp>

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    using namespace dgrid_cli;
    CLI::App app("Chat, images and batch jobs with the DGrid AI gateway", "dgrid");
    app.set_version_flag("--version", std::string(DGRID_VERSION_STRING));
    app.require_subcommand(1);
    app.fallthrough(); // the common options after a subcommand too
    connection_flags connection;
    add_connection_flags(app, connection);
    int exit_code = exit_ok;
    add_chat_command(app, connection, exit_code);
    add_image_command(app, connection, exit_code);
    add_models_command(app, connection, exit_code);
    add_batch_command(app, connection, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e); // --help, --version
    } catch (const CLI::Error& e) {
        std::cerr << "dgrid: " << e.what() << '\n';
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "dgrid: " << e.what() << '\n';
        return exit_failed;
    }
    return exit_code;
}
