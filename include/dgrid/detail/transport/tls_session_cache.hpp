#ifndef DGRID_DETAIL_TRANSPORT_TLS_SESSION_CACHE_HPP
#define DGRID_DETAIL_TRANSPORT_TLS_SESSION_CACHE_HPP

// Internal, compiled into the library only: sees OpenSSL.

#include <openssl/ssl.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace dgrid::detail {

// TLS sessions from earlier handshakes with the gateway, so that a new pool
// connection resumes one: an abbreviated handshake, without the certificate
// chain to send and verify (TLS 1.3 still makes a fresh key exchange).
//
// The server hands sessions out as it likes (TLS 1.3: tickets after the
// handshake, read with the first response), so OpenSSL reports them through
// the context's new-session callback, which finds the cache of the
// connection through the SSL object. The newest session is offered first; a
// few are kept. A TLS 1.3 session is used once (RFC 8446 C.4: tickets are
// not to be reused). A TLS 1.2 session stays for the connections after it:
// a resumed TLS 1.2 handshake brings no new session, so using each once
// would make every other connection a full handshake.
//
// Thread safety: any thread; a mutex guards the sessions.
class tls_session_cache {
public:
    static constexpr std::size_t max_sessions = 8;

    tls_session_cache() = default;
    tls_session_cache(const tls_session_cache&) = delete;
    tls_session_cache& operator=(const tls_session_cache&) = delete;

    // Makes `context` report new client sessions to the cache of the
    // connection that got them, without keeping them itself.
    static void enable(SSL_CTX* context) {
        SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(context, &on_new_session);
    }

    // Before the handshake of a new connection: sessions it gets come here,
    // and it offers the newest kept one, if any.
    void attach(SSL* ssl) {
        SSL_set_ex_data(ssl, ex_index(), this);
        if (session_ptr session = take())
            SSL_set_session(ssl, session.get()); // takes its own reference
    }

    // After a successful handshake.
    void count_handshake(SSL* ssl) noexcept {
        handshakes_.fetch_add(1, std::memory_order_relaxed);
        if (SSL_session_reused(ssl))
            resumed_.fetch_add(1, std::memory_order_relaxed);
    }

    std::size_t handshakes() const noexcept { return handshakes_.load(std::memory_order_relaxed); }
    std::size_t resumed() const noexcept { return resumed_.load(std::memory_order_relaxed); }

private:
    struct session_free {
        void operator()(SSL_SESSION* s) const noexcept { SSL_SESSION_free(s); }
    };
    using session_ptr = std::unique_ptr<SSL_SESSION, session_free>;

    session_ptr take() {
        std::lock_guard lock(mutex_);
        if (sessions_.empty())
            return nullptr;
        // A copy, like those the cache keeps: the connection's own session
        // is marked not resumable if it ends without a close_notify.
        SSL_SESSION* newest = sessions_.back().get();
        if (SSL_SESSION_get_protocol_version(newest) < TLS1_3_VERSION)
            return session_ptr(SSL_SESSION_dup(newest));
        session_ptr s = std::move(sessions_.back());
        sessions_.pop_back();
        return s;
    }

    void add(session_ptr session) {
        std::lock_guard lock(mutex_);
        if (sessions_.size() == max_sessions)
            sessions_.erase(sessions_.begin()); // the oldest
        sessions_.push_back(std::move(session));
    }

    static int ex_index() {
        static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
        return index;
    }

    // Keeps a copy: `session` stays the connection's own, and OpenSSL marks
    // that one not resumable when the connection ends without a TLS
    // close_notify, as pool connections usually do.
    static int on_new_session(SSL* ssl, SSL_SESSION* session) {
        auto* cache = static_cast<tls_session_cache*>(SSL_get_ex_data(ssl, ex_index()));
        if (cache && SSL_SESSION_is_resumable(session))
            if (session_ptr copy{SSL_SESSION_dup(session)})
                cache->add(std::move(copy));
        return 0; // the connection keeps its reference
    }

    std::mutex mutex_;
    std::vector<session_ptr> sessions_;
    std::atomic<std::size_t> handshakes_{0};
    std::atomic<std::size_t> resumed_{0};
};

} // namespace dgrid::detail

#endif
