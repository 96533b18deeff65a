// Lists the models the gateway serves, with a plain callback and a
// diagnostics object instead of coroutines.
//
// See ../example_env.hpp for the environment it reads.

#include "../example_env.hpp"

#include <dgrid/dgrid.hpp>

#include <boost/asio/io_context.hpp>

#include <iostream>

int main() {
    try {
        boost::asio::io_context io;
        dgrid::client client(io, options_from_environment());
        dgrid::diagnostics diag;
        int status = 1;
        client.async_list_models(diag, [&](dgrid::error_code ec, dgrid::model_list models) {
            if (ec) {
                std::cerr << "error: " << dgrid::error_with_diagnostics(ec, diag).what() << '\n';
                return;
            }
            for (const auto& model : models.data)
                std::cout << model.id << '\n';
            status = 0;
        });
        io.run();
        return status;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
}
