// Asks for an answer shaped as a C++ struct and reads it back typed: the
// schema comes from the struct's Boost.Describe description.
//
//   example_structured_output [model] [question]
//
// See ../example_env.hpp for the environment it reads.

#include "../example_env.hpp"

#include <dgrid/dgrid.hpp>
#include <dgrid/response_format.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/describe/enum_to_string.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;

namespace trip {

enum class season { spring, summer, autumn, winter };
BOOST_DESCRIBE_ENUM(season, spring, summer, autumn, winter)

struct stop {
    std::string city;
    int nights = 0;
};
BOOST_DESCRIBE_STRUCT(stop, (), (city, nights))

struct plan {
    std::string title;
    trip::season best_season = season::spring;
    std::vector<stop> stops;
    std::optional<std::string> warning;
};
BOOST_DESCRIBE_STRUCT(plan, (), (title, best_season, stops, warning))

// Descriptions the model reads in the schema.
inline dgrid::json_annotations dgrid_json_annotations(const plan*) {
    static constexpr dgrid::member_annotation members[] = {
        {"stops", "The cities in travel order"},
        {"warning", "Anything the traveller must know, or null"},
    };
    return {"A trip plan", members};
}

} // namespace trip

asio::awaitable<void> plan_trip(dgrid::client& client, std::string model, std::string question) {
    dgrid::chat_request request;
    request.model = std::move(model);
    request.messages.push_back(dgrid::message::user(std::move(question)));
    request.response_format = dgrid::response_format::json_schema<trip::plan>("trip_plan");

    dgrid::chat_completion completion = co_await client.async_chat(request);
    // Throws error_with_diagnostics: error::refused, content_not_json or
    // type_mismatch (with the path of the first mismatch).
    const trip::plan plan = completion.parse<trip::plan>();

    std::cout << "title: " << plan.title << '\n';
    std::cout << "best season: " << boost::describe::enum_to_string(plan.best_season, "?") << '\n';
    for (const trip::stop& s : plan.stops)
        std::cout << "stop: " << s.city << ", " << s.nights << " nights\n";
    if (plan.warning)
        std::cout << "warning: " << *plan.warning << '\n';
}

int main(int argc, char** argv) {
    std::string model = argc > 1 ? argv[1] : "openai/gpt-4o-mini";
    std::string question = argc > 2 ? argv[2] : "Plan a week by train through Italy.";
    try {
        asio::io_context io;
        dgrid::client client(io, options_from_environment());
        asio::co_spawn(io, plan_trip(client, std::move(model), std::move(question)), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
}
