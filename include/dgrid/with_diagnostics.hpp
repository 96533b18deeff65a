#ifndef DGRID_WITH_DIAGNOSTICS_HPP
#define DGRID_WITH_DIAGNOSTICS_HPP

#include <dgrid/diagnostics.hpp>
#include <dgrid/error_with_diagnostics.hpp>

#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

namespace dgrid {

/// Completion token adapter: the operation completes with
/// `void(std::exception_ptr, T)` instead of `void(error_code, T)`, the
/// exception being an `error_with_diagnostics` that carries what the server
/// said. So `co_await c.async_chat(r, with_diagnostics(asio::use_awaitable))`
/// throws it. Works with dgrid operations only.
template <class CompletionToken>
struct with_diagnostics_t {
    /// The wrapped token, which gets `void(std::exception_ptr, T)`.
    CompletionToken token;
};

/// Wraps `token`; see `with_diagnostics_t`.
template <class CompletionToken>
constexpr with_diagnostics_t<std::decay_t<CompletionToken>> with_diagnostics(CompletionToken&& token) {
    return {std::forward<CompletionToken>(token)};
}

namespace detail {

// Turns an error_code completion into an exception_ptr completion, reading the
// diagnostics the operation filled in. Owns them unless the caller passed its own.
template <class Handler>
class throwing_handler {
public:
    throwing_handler(Handler handler, std::unique_ptr<diagnostics> owned, diagnostics* diag)
        : handler_(std::move(handler)), owned_(std::move(owned)), diag_(diag) {}

    template <class... Values>
    void operator()(error_code ec, Values&&... values) {
        std::exception_ptr ex;
        if (ec)
            ex = std::make_exception_ptr(error_with_diagnostics(ec, *diag_));
        owned_.reset();
        std::move(handler_)(std::move(ex), std::forward<Values>(values)...);
    }

    const Handler& inner() const noexcept { return handler_; }

private:
    Handler handler_;
    std::unique_ptr<diagnostics> owned_;
    diagnostics* diag_;
};

} // namespace detail
} // namespace dgrid

// The adapter keeps the wrapped handler's executor, allocator and cancellation slot.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, dgrid::detail::throwing_handler<Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type
    get(const dgrid::detail::throwing_handler<Handler>& h) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.inner());
    }
    static auto get(const dgrid::detail::throwing_handler<Handler>& h, const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.inner(), c)) {
        return Associator<Handler, DefaultCandidate>::get(h.inner(), c);
    }
};

// dgrid initiations take `diagnostics*` as their first argument; the adapter
// supplies its own when the caller passed none: the initiation's
// `lent_diagnostics()` where it has one (and it is not null), else new ones.
/// @cond
template <class CompletionToken, class... Values>
struct boost::asio::async_result<dgrid::with_diagnostics_t<CompletionToken>, void(dgrid::error_code, Values...)> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, dgrid::diagnostics* diag, Args&&... args) {
        return boost::asio::async_initiate<CompletionToken, void(std::exception_ptr, Values...)>(
            [init = std::forward<Initiation>(init)](auto handler, dgrid::diagnostics* diag, auto&&... args) mutable {
                std::unique_ptr<dgrid::diagnostics> owned;
                // An operation repeated many times (chat_stream::async_next)
                // lends diagnostics of its own rather than have one allocated
                // per call.
                if constexpr (requires { init.lent_diagnostics(); }) {
                    if (!diag)
                        diag = init.lent_diagnostics();
                }
                if (!diag) {
                    owned = std::make_unique<dgrid::diagnostics>();
                    diag = owned.get();
                }
                using handler_type = dgrid::detail::throwing_handler<std::decay_t<decltype(handler)>>;
                std::move(init)(handler_type(std::move(handler), std::move(owned), diag), diag,
                                std::forward<decltype(args)>(args)...);
            },
            token.token, diag, std::forward<Args>(args)...);
    }
};
/// @endcond

#endif
