#ifndef DGRID_TOOL_SET_HPP
#define DGRID_TOOL_SET_HPP

#include <dgrid/chat_request.hpp>
#include <dgrid/detail/described/read_value.hpp>
#include <dgrid/detail/described/write_value.hpp>
#include <dgrid/detail/json/lone_surrogates.hpp>
#include <dgrid/error.hpp>
#include <dgrid/message.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace dgrid {

namespace detail {

template <class T>
inline constexpr bool is_awaitable = false;
template <class T, class E>
inline constexpr bool is_awaitable<boost::asio::awaitable<T, E>> = true;

} // namespace detail

/// What running one tool call gave: the text for the model, or an error.
struct tool_outcome {
    /// The tool's result, sent to the model as the `tool` message's content;
    /// on an error, `{"error":"<message>"}`.
    std::string content;
    /// `error::content_not_json` or `error::type_mismatch` for arguments that
    /// do not parse, `error::tool_failed` for a tool not in the set or a
    /// handler that threw; success otherwise.
    error_code ec;
    /// What went wrong, for people: names the tool (and the path of a mismatch).
    std::string error;
};

/// The functions a model may call, each with its handler, for
/// `async_run_tools`. Copies share the handlers.
///
///     struct weather_args { std::string city; };
///     BOOST_DESCRIBE_STRUCT(weather_args, (), (city))
///
///     dgrid::tool_set tools;
///     tools.add<weather_args>("get_weather", "Current weather in a city",
///                             [](weather_args a) -> asio::awaitable<std::string> {
///                                 co_return "18 C in " + a.city;
///                             });
class tool_set {
public:
    /// Adds the function `name`, whose arguments are a described struct
    /// `Args` (its schema from `tool::function<Args>`). `handler` is called
    /// with the parsed `Args` and returns the result, directly or as an
    /// `asio::awaitable`: a `std::string` (sent as it is), a
    /// `boost::json::value`, or a described type (sent as its JSON text). An
    /// exception it throws is the call's error. The handler is called on the
    /// client's executor, and concurrently with the others asked for in the
    /// same turn. Throws `std::invalid_argument` when the set has a tool of
    /// that name (the API refuses two). Returns `*this`.
    template <class Args, class Handler>
    tool_set& add(std::string name, std::string description, Handler handler) {
        for (const auto& e : entries_)
            if (e->definition.name == name)
                throw std::invalid_argument("dgrid::tool_set: a second tool named `" + name + "`");
        entries_.push_back(std::make_shared<const entry>(
            entry{tool::function<Args>(name, std::move(description)),
                  [h = std::move(handler), name](std::string arguments) -> boost::asio::awaitable<tool_outcome> {
                      return run<Args>(h, name, std::move(arguments));
                  }}));
        return *this;
    }

    /// The definitions to send, in the order added.
    std::vector<tool> definitions() const {
        std::vector<tool> out;
        out.reserve(entries_.size());
        for (const auto& e : entries_)
            out.push_back(e->definition);
        return out;
    }

    /// Runs `call`: parses its arguments and calls its handler. The awaitable
    /// never throws (but `std::bad_alloc`): every failure is in the outcome.
    /// It keeps what it needs of the set.
    boost::asio::awaitable<tool_outcome> call(tool_call call) const {
        for (const auto& e : entries_)
            if (e->definition.name == call.function.name)
                return run_entry(e, std::move(call.function.arguments));
        return ready(failure(error::tool_failed, "there is no tool named `" + call.function.name + "`"));
    }

private:
    struct entry {
        tool definition;
        std::function<boost::asio::awaitable<tool_outcome>(std::string)> run;
    };

    // Holds the entry, whose handler the call refers to, until the call ends.
    static boost::asio::awaitable<tool_outcome> run_entry(std::shared_ptr<const entry> e, std::string arguments) {
        co_return co_await e->run(std::move(arguments));
    }

    static tool_outcome failure(error_code ec, std::string error) {
        tool_outcome out;
        out.content = boost::json::serialize(boost::json::object{{"error", error}});
        out.ec = ec;
        out.error = std::move(error);
        return out;
    }

    static boost::asio::awaitable<tool_outcome> ready(tool_outcome outcome) { co_return outcome; }

    template <class T>
    static std::string result_text(const T& result) {
        if constexpr (std::is_convertible_v<const T&, std::string_view>)
            return std::string(std::string_view(result));
        else if constexpr (std::is_same_v<T, boost::json::value>)
            return boost::json::serialize(result);
        else
            return boost::json::serialize(detail::write_value(result));
    }

    // Arguments the way the library reads JSON (nesting bounded, a lone
    // surrogate as U+FFFD); none at all are `{}`.
    static boost::json::value parse_arguments(std::string_view arguments, error_code& ec) {
        return detail::parse_json_tree(arguments.empty() ? std::string_view("{}") : arguments, {},
                                       detail::lone_surrogate_rule::replace, ec);
    }

    template <class Args, class Handler>
    static boost::asio::awaitable<tool_outcome> run(const Handler& handler, std::string name, std::string arguments) {
        error_code json_ec;
        const boost::json::value v = parse_arguments(arguments, json_ec);
        if (json_ec)
            co_return failure(error::content_not_json,
                              "the arguments of `" + name + "` are not JSON: " + json_ec.message());
        std::string what;
        try {
            Args args{};
            detail::read_context where;
            if (!detail::read_value(v, args, where))
                co_return failure(error::type_mismatch,
                                  "the arguments of `" + name + "` do not match its parameters: " + where.message());
            using result_type = std::invoke_result_t<const Handler&, Args>;
            tool_outcome out;
            if constexpr (detail::is_awaitable<result_type>) {
                auto result = co_await handler(std::move(args));
                out.content = result_text(result);
            } else {
                auto result = handler(std::move(args));
                out.content = result_text(result);
            }
            co_return out;
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
            what = "an exception not derived from std::exception";
        }
        co_return failure(error::tool_failed, "the tool `" + name + "` failed: " + what);
    }

    std::vector<std::shared_ptr<const entry>> entries_;
};

} // namespace dgrid

#endif
