// A user's program, built the way a consumer of an installed, added or
// fetched dgrid builds it: one plain call and one stream against the emulator
// named by DGRID_BASE_URL and DGRID_CA_FILE (key from DGRID_API_KEY), or,
// built with DGRID_CONSUMER_IN_PROCESS, against a dgrid::emulator it starts.
#include <dgrid/dgrid.hpp>
#ifdef DGRID_CONSUMER_IN_PROCESS
#include <dgrid/emulator/server.hpp>
#endif

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

namespace asio = boost::asio;

asio::awaitable<void> ask(dgrid::client& client, int& failures) {
    dgrid::chat_request request;
    request.model = "emulator/echo";
    request.messages.push_back(dgrid::message::user("hello consumer"));
    const dgrid::chat_completion answer = co_await client.async_chat(request);
    if (answer.text() != "hello consumer")
        ++failures;
    dgrid::chat_stream stream = co_await client.async_chat_stream(request);
    std::string streamed;
    while (co_await stream.async_next())
        streamed += stream.chunk().text();
    if (streamed != "hello consumer")
        ++failures;
}

int main() {
    dgrid::client_options options;
#ifdef DGRID_CONSUMER_IN_PROCESS
    dgrid::emulator::server_options gateway_options;
    gateway_options.api_key = "in-process-key";
    dgrid::emulator::server gateway(gateway_options);
    gateway.start();
    options.base_url = gateway.base_url();
    options.ca_file = gateway.ca_file().string();
    options.api_key = gateway_options.api_key;
#else
    options.base_url = std::getenv("DGRID_BASE_URL");
    options.ca_file = std::getenv("DGRID_CA_FILE");
#endif
    asio::io_context io;
    dgrid::client client(io, options);
    int failures = 0;
    asio::co_spawn(io, ask(client, failures), [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    });
    io.run();
    std::cout << "consumer of dgrid " << DGRID_VERSION_STRING << (failures ? ": wrong answers" : ": ok") << '\n';
    return failures == 0 ? 0 : 1;
}
