// dgrid models [--json]
#include "commands.hpp"

#include <dgrid/client.hpp>
#include <dgrid/json.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>

namespace dgrid_cli {
namespace {

namespace asio = boost::asio;

asio::awaitable<int> list_models(dgrid::client& client, bool json) {
    dgrid::diagnostics diag;
    constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
    auto [ec, models] = co_await client.async_list_models(diag, tuple_awaitable);
    if (ec) {
        report_error("models", ec, diag);
        co_return exit_failed;
    }
    if (json) {
        std::cout << boost::json::serialize(dgrid::to_json(models)) << '\n';
    } else {
        for (const dgrid::model_info& m : models.data)
            std::cout << m.id << '\n';
    }
    co_return exit_ok;
}

} // namespace

void add_models_command(CLI::App& app, const connection_flags& connection, int& exit_code) {
    auto json = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand("models", "List the models, one id per line");
    cmd->add_flag("--json", *json, "Print the whole list as JSON");
    cmd->callback([&connection, &exit_code, json] {
        exit_code = run_with_client(connection, [&](dgrid::client& client) { return list_models(client, *json); });
    });
}

} // namespace dgrid_cli
