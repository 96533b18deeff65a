#ifndef DGRID_RUN_TOOLS_HPP
#define DGRID_RUN_TOOLS_HPP

#include <dgrid/chat_completion.hpp>
#include <dgrid/chat_request.hpp>
#include <dgrid/client.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/request_options.hpp>
#include <dgrid/tool_set.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>
#include <new>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace dgrid {

/// What `async_run_tools` does with a call that fails: arguments that do not
/// parse, a name not in the set, a handler that throws.
enum class tool_error_policy {
    tell_model, ///< Send `{"error":"..."}` as the call's result and go on: the model may correct itself.
    fail,       ///< Stop, completing with the call's error (`tool_outcome::ec`).
};

/// Options of `async_run_tools`.
struct run_tools_options {
    /// The most requests to the model; when the last one still asks for
    /// tools, the run fails with `error::too_many_steps`.
    unsigned max_steps = 10;
    /// What a failed call does.
    tool_error_policy on_error = tool_error_policy::tell_model;
    /// Timeouts, retries and headers of each request.
    request_options request;
};

/// What `async_run_tools` gives: on success and on failure alike.
struct run_tools_result {
    /// The last completion received: the answer, on success.
    chat_completion completion;
    /// The conversation: the request's messages, then each assistant turn
    /// and the tool results it led to, in order. Send it on to go on talking.
    std::vector<message> transcript;
    /// Requests made to the model.
    unsigned steps = 0;
};

namespace detail {

// Runs every call of one turn, concurrently; the outcomes in the calls' order.
inline boost::asio::awaitable<std::vector<tool_outcome>> run_turn(const tool_set& tools,
                                                                  const std::vector<tool_call>& calls) {
    auto ex = co_await boost::asio::this_coro::executor;
    using operation = decltype(boost::asio::co_spawn(ex, tools.call(calls.front()), boost::asio::deferred));
    std::vector<operation> operations;
    operations.reserve(calls.size());
    for (const tool_call& call : calls)
        operations.push_back(boost::asio::co_spawn(ex, tools.call(call), boost::asio::deferred));
    auto group = boost::asio::experimental::make_parallel_group(std::move(operations));
    auto [order, exceptions, outcomes] =
        co_await group.async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
    for (std::size_t i = 0; i < exceptions.size(); ++i)
        if (exceptions[i]) // resource exhaustion: a tool's own failures are outcomes
            std::rethrow_exception(exceptions[i]);
    co_return std::move(outcomes);
}

// Appends the results of `calls` to the conversation.
inline void answer_calls(const std::vector<tool_call>& calls, std::vector<tool_outcome>& outcomes,
                         chat_request& request, run_tools_result& result) {
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        message answer = message::tool(calls[i].id, std::move(outcomes[i].content));
        result.transcript.push_back(answer);
        request.messages.push_back(std::move(answer));
    }
}

inline boost::asio::awaitable<error_code> run_tools_steps(client& c, chat_request& request, const tool_set& tools,
                                                          const run_tools_options& options, diagnostics& diag,
                                                          run_tools_result& result) {
    // A cancellation fails the operation under way, or is seen between turns
    // below, rather than thrown: the result keeps the conversation so far.
    co_await boost::asio::this_coro::throw_if_cancelled(false);
    if (options.max_steps == 0) {
        diag.message = "run_tools_options::max_steps is 0";
        co_return make_error_code(boost::system::errc::invalid_argument);
    }
    for (tool& t : tools.definitions())
        request.tools.push_back(std::move(t));
    result.transcript = request.messages;
    for (;;) {
        auto [ec, completion] =
            co_await c.async_chat(request, options.request, diag, boost::asio::as_tuple(boost::asio::use_awaitable));
        ++result.steps;
        if (ec)
            co_return ec;
        result.completion = std::move(completion);
        if (result.completion.choices.empty())
            co_return error_code();
        const message& turn = result.completion.choices.front().message;
        result.transcript.push_back(turn);
        request.messages.push_back(turn);
        if (turn.tool_calls.empty())
            co_return error_code();
        if (result.steps == options.max_steps) {
            diag.message =
                "the model still called tools at the last of " + std::to_string(options.max_steps) + " steps";
            co_return error::too_many_steps;
        }
        std::vector<tool_outcome> outcomes = co_await run_turn(tools, turn.tool_calls);
        // Every call gets its answer in the transcript, also when the run stops here.
        const auto failed =
            std::find_if(outcomes.begin(), outcomes.end(), [](const tool_outcome& o) { return !!o.ec; });
        error_code stop;
        if (failed != outcomes.end() && options.on_error == tool_error_policy::fail) {
            diag.message = failed->error;
            stop = failed->ec;
        }
        answer_calls(turn.tool_calls, outcomes, request, result);
        if (stop)
            co_return stop;
        if ((co_await boost::asio::this_coro::cancellation_state).cancelled() != boost::asio::cancellation_type::none)
            co_return boost::asio::error::operation_aborted;
    }
}

inline boost::asio::awaitable<std::tuple<error_code, run_tools_result>>
run_tools_loop(client& c, chat_request request, tool_set tools, run_tools_options options, diagnostics* lent) {
    diagnostics own;
    diagnostics& diag = lent ? *lent : own;
    run_tools_result result;
    error_code ec;
    try {
        ec = co_await run_tools_steps(c, request, tools, options, diag, result);
    } catch (const std::bad_alloc&) {
        ec = make_error_code(boost::system::errc::not_enough_memory);
    }
    co_return std::tuple(ec, std::move(result));
}

// The arguments before a completion token of async_run_tools.
template <class T>
concept run_tools_argument = call_argument<T> || std::is_same_v<std::remove_cvref_t<T>, run_tools_options>;

struct run_tools_initiation {
    client* c;

    template <class Handler>
    void operator()(Handler handler, diagnostics* diag, chat_request request, tool_set tools,
                    run_tools_options options) {
        // The handler runs on its associated executor (else the client's),
        // and its cancellation slot reaches the loop.
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        auto handler_ex = boost::asio::get_associated_executor(handler, c->get_executor());
        boost::asio::co_spawn(
            c->get_executor(), run_tools_loop(*c, std::move(request), std::move(tools), std::move(options), diag),
            boost::asio::bind_cancellation_slot(
                slot,
                boost::asio::bind_executor(
                    handler_ex, [handler = std::move(handler)](
                                    std::exception_ptr e, std::tuple<error_code, run_tools_result> outcome) mutable {
                        if (e) // the loop catches what it can recover from
                            std::rethrow_exception(e);
                        std::move(handler)(std::get<0>(outcome), std::move(std::get<1>(outcome)));
                    })));
    }
};

} // namespace detail

/// Talks with the model until it answers without calling tools: sends
/// `request` (with the set's definitions added to its `tools`), runs the
/// calls the answer asks for (concurrently when there are several, each
/// call's arguments parsed into its `Args`), appends the assistant turn and
/// the results (`message::tool`) to the conversation, and sends it again.
/// A call that fails goes back to the model as an error result, or ends the
/// run, as `options.on_error` says.
///
/// Handler signature: `void(error_code, run_tools_result)`; on failure the
/// result holds the conversation so far, every tool call answered but those
/// of a last turn cut by `max_steps` (run them, or drop that turn, before
/// sending the transcript on). Errors: those of `async_chat`,
/// `error::too_many_steps`, `errc::invalid_argument` for a `max_steps` of
/// 0, and with `tool_error_policy::fail` the failed call's
/// (`tool_outcome::ec`), `diag.message` saying what failed. The default
/// token throws `error_with_diagnostics` instead, and the transcript is lost:
/// use `as_tuple` to keep it.
/// Executor: the handler's associated executor, else the client's; the
/// tools run on the client's.
/// Cancellation: terminal, through the handler's cancellation slot: the
/// request or the tool calls under way are cancelled (a coroutine handler
/// sees it in its next operation) and the run fails with
/// `asio::error::operation_aborted`. `c` and `diag` must outlive the
/// operation; `request`, `tools` and `options` are copied.
template <class CompletionToken = client::default_token>
auto async_run_tools(client& c, const chat_request& request, const tool_set& tools, const run_tools_options& options,
                     diagnostics& diag, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, run_tools_result)>(
        detail::run_tools_initiation{&c}, token, &diag, request, tools, options);
}

/// As above, with the default options.
template <class CompletionToken = client::default_token>
requires(!detail::run_tools_argument<CompletionToken>) auto async_run_tools(client& c, const chat_request& request,
                                                                            const tool_set& tools,
                                                                            CompletionToken&& token = {}) {
    return async_run_tools(c, request, tools, run_tools_options{}, std::forward<CompletionToken>(token));
}

/// As above, without diagnostics for plain tokens.
template <class CompletionToken = client::default_token>
requires(!detail::run_tools_argument<CompletionToken>) auto async_run_tools(client& c, const chat_request& request,
                                                                            const tool_set& tools,
                                                                            const run_tools_options& options,
                                                                            CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, run_tools_result)>(
        detail::run_tools_initiation{&c}, token, nullptr, request, tools, options);
}

} // namespace dgrid

#endif
