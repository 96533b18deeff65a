#ifndef DGRID_DETAIL_TRANSPORT_TLS_STREAM_HPP
#define DGRID_DETAIL_TRANSPORT_TLS_STREAM_HPP

// Internal, compiled into the library only: a TLS client stream over
// OpenSSL, in place of asio::ssl::stream. That one joins OpenSSL to the
// socket through a BIO pair and two record buffers, 68 KiB per connection
// whatever the traffic. Here OpenSSL reads ciphertext from one small buffer
// through a BIO of our own and writes it to another, which only grows to the
// largest flight sent. OpenSSL's record buffers are given back after each
// record (SSL_MODE_RELEASE_BUFFERS), so that 10,000 open streams waiting for
// their next event hold none, except while the connection serves calls:
// allocating them for every record costs 2.5 % of a call. Plaintext is
// decrypted straight into the caller's buffer.
//
// Measured against asio::ssl::stream in its place (same commit, side by
// side; benchmarks/callgrind.sh and run_scale.sh): asio::ssl::stream takes
// 10 % more instructions per plain call and 14 % more per stream delta,
// nearly all of it copying ciphertext through its BIO pair, and 74 KiB more
// heap (40 KiB more RSS) per open stream at 1,000 streams. Hence a layer of
// our own, tested on its own in test/engine/tls_stream_tests.cpp.
//
// One operation at a time: HTTP/1.1 never reads and writes a connection at
// once, and the ciphertext buffers are shared by all operations.

#include <dgrid/error.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/verify_mode.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace dgrid::detail {

namespace asio = boost::asio;

// Ciphertext one read of the socket may take. A 16 KiB record then needs
// two or three reads; an open stream, whose records are small, holds 8 KiB.
constexpr std::size_t tls_input_size = 8 * 1024;

// Plaintext one write encrypts: one full record.
constexpr std::size_t tls_max_write = 16 * 1024;

// The ciphertext on its way in and out, which OpenSSL reaches through the BIO.
struct tls_ciphertext {
    std::array<unsigned char, tls_input_size> in;
    std::size_t in_begin = 0;
    std::size_t in_end = 0;
    bool in_eof = false; // the socket reached its end
    std::vector<unsigned char> out;

    std::size_t in_size() const { return in_end - in_begin; }

    // The free part of `in`, once the unread bytes moved to its front.
    asio::mutable_buffer in_space() {
        if (in_begin != 0) {
            std::memmove(in.data(), in.data() + in_begin, in_size());
            in_end -= in_begin;
            in_begin = 0;
        }
        return asio::buffer(in.data() + in_end, in.size() - in_end);
    }
};

namespace tls_bio {

inline tls_ciphertext& of(BIO* bio) { return *static_cast<tls_ciphertext*>(BIO_get_data(bio)); }

inline int read(BIO* bio, char* data, int size) {
    auto& text = of(bio);
    BIO_clear_retry_flags(bio);
    if (text.in_size() == 0) {
        // Also at the end of the socket: the operation tells a cut stream
        // apart, where OpenSSL would report an error of its own.
        BIO_set_retry_read(bio);
        return -1;
    }
    std::size_t n = std::min(text.in_size(), static_cast<std::size_t>(size));
    std::memcpy(data, text.in.data() + text.in_begin, n);
    text.in_begin += n;
    return static_cast<int>(n);
}

inline int write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    try {
        auto& out = of(bio).out;
        out.insert(out.end(), data, data + size);
    } catch (const std::bad_alloc&) {
        return -1; // OpenSSL reports a failed write; nothing may unwind through it
    }
    return size;
}

inline long control(BIO* bio, int command, long, void*) {
    switch (command) {
    case BIO_CTRL_FLUSH: // written bytes are sent by the operation that made them
        return 1;
    case BIO_CTRL_PENDING: return static_cast<long>(of(bio).in_size());
    case BIO_CTRL_EOF: return of(bio).in_eof && of(bio).in_size() == 0;
    default: return 0;
    }
}

// The BIO type, made once per process (OpenSSL keeps the methods it is given).
inline BIO_METHOD* method() {
    static BIO_METHOD* const made = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "dgrid tls ciphertext");
        if (m) {
            BIO_meth_set_read(m, &read);
            BIO_meth_set_write(m, &write);
            BIO_meth_set_ctrl(m, &control);
            BIO_meth_set_create(m, [](BIO* bio) {
                BIO_set_init(bio, 1);
                return 1;
            });
        }
        return m;
    }();
    return made;
}

} // namespace tls_bio

// The failure of an OpenSSL call, from its SSL_get_error code.
inline error_code tls_error(int ssl_error) {
    if (ssl_error == SSL_ERROR_ZERO_RETURN) // close_notify: the peer ended the stream properly
        return asio::error::eof;
    if (unsigned long code = ERR_get_error())
        return error_code(static_cast<int>(code), asio::error::get_ssl_category());
    // Nothing queued: the BIO failed to store what OpenSSL wrote, or the
    // connection failed earlier (its error was reported then).
    return asio::ssl::error::unspecified_system_error;
}

template <class NextLayer>
class tls_stream {
public:
    using executor_type = typename NextLayer::executor_type;
    using next_layer_type = NextLayer;

    template <class Arg>
    tls_stream(Arg&& arg, asio::ssl::context& context) : next_(std::forward<Arg>(arg)) {
        BIO_METHOD* method = tls_bio::method();
        ssl_ = method ? SSL_new(context.native_handle()) : nullptr;
        BIO* bio = ssl_ ? BIO_new(method) : nullptr;
        if (!bio) {
            SSL_free(ssl_);
            throw boost::system::system_error(
                error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category()), "cannot set up TLS");
        }
        BIO_set_data(bio, &text_);
        SSL_set_bio(ssl_, bio, bio); // the SSL owns the BIO
        SSL_set_mode(ssl_,
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
        SSL_set_connect_state(ssl_);
    }

    ~tls_stream() { SSL_free(ssl_); }

    // The BIO points into this object: it stays where it was made.
    tls_stream(const tls_stream&) = delete;
    tls_stream& operator=(const tls_stream&) = delete;

    executor_type get_executor() noexcept { return next_.get_executor(); }
    NextLayer& next_layer() noexcept { return next_; }
    SSL* native_handle() noexcept { return ssl_; }

    void set_verify_mode(asio::ssl::verify_mode mode) { SSL_set_verify(ssl_, mode, SSL_get_verify_callback(ssl_)); }

    // Record buffers: given back after each record from now on (`on`, as
    // from the start), or kept until `free_buffers` (`!on`).
    void release_buffers_after_records(bool on) {
        if (on)
            SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
        else
            SSL_clear_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
    }

    // Gives the record buffers back now, unless they hold unread input.
    void free_buffers() { SSL_free_buffers(ssl_); }

    // Bytes received and not read yet, as ciphertext or plaintext.
    bool has_unread_input() const { return text_.in_size() != 0 || SSL_pending(ssl_) > 0; }

    // Sends close_notify at once, without waiting for the peer's: the end of
    // a connection between requests. The next layer's synchronous write must
    // not block (a non-blocking socket), as this runs where a connection is
    // let go.
    void send_close_notify(error_code& ec) {
        ec = {};
        if (ERR_peek_error() != 0)
            ERR_clear_error();
        SSL_shutdown(ssl_); // the alert goes to `text_.out` through the BIO
        if (!text_.out.empty())
            next_.write_some(asio::buffer(text_.out), ec);
        text_.out.clear();
    }

    template <class Token>
    auto async_handshake(Token&& token) {
        return start<void(error_code)>(handshake_step{}, std::forward<Token>(token));
    }

    // Reads at least one byte, and whatever else is decrypted without waiting.
    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return start<void(error_code, std::size_t)>(
            read_step{first_nonempty<asio::mutable_buffer>(buffers), &deferred_read_error_, &text_},
            std::forward<Token>(token));
    }

    // Writes up to one record's worth of the buffers.
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return start<void(error_code, std::size_t)>(write_step<ConstBuffers>{buffers}, std::forward<Token>(token));
    }

private:
    template <class Buffer, class Buffers>
    static Buffer first_nonempty(const Buffers& buffers) {
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it)
            if (Buffer b(*it); b.size() != 0)
                return b;
        return Buffer();
    }

    // The OpenSSL calls of each operation. Each returns SSL_ERROR_NONE when
    // done, with `bytes` set, or the SSL_get_error code of its failure.
    struct handshake_step {
        static constexpr bool completes_empty = false;
        int operator()(SSL* ssl, std::size_t&) {
            int r = SSL_do_handshake(ssl);
            return r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
        }
    };

    struct read_step {
        asio::mutable_buffer buffer;
        error_code* deferred; // a failure after data, for the next read
        const tls_ciphertext* text;
        std::size_t done = 0;
        static constexpr bool completes_empty = true;
        bool empty() const { return buffer.size() == 0; }
        int operator()(SSL* ssl, std::size_t& bytes) {
            // Record after record, while they are at hand: one read of the
            // caller takes what one read of the socket brought.
            while (done < buffer.size()) {
                std::size_t n = 0;
                if (SSL_read_ex(ssl, static_cast<char*>(buffer.data()) + done, buffer.size() - done, &n) != 1) {
                    int error = SSL_get_error(ssl, 0);
                    if (done == 0)
                        return error;
                    // The data read first goes to the caller now. OpenSSL
                    // would not report a fatal error twice: it is kept.
                    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_ZERO_RETURN)
                        *deferred = tls_error(error);
                    break;
                }
                done += n;
                // With no ciphertext left, another call would only fail for
                // want of input, after a record's worth of OpenSSL's work.
                if (text->in_size() == 0 && SSL_has_pending(ssl) == 0)
                    break;
            }
            bytes = done;
            return SSL_ERROR_NONE;
        }
    };

    // A write of several small buffers is gathered into one record, not sent
    // as a record (and a packet) each; one buffer is encrypted where it is.
    template <class ConstBuffers>
    struct write_step {
        ConstBuffers buffers;
        static constexpr bool completes_empty = true;
        bool empty() const { return asio::buffer_size(buffers) == 0; }
        int operator()(SSL* ssl, std::size_t& bytes) {
            std::array<unsigned char, tls_max_write> gathered;
            asio::const_buffer first = first_nonempty<asio::const_buffer>(buffers);
            if (first.size() < gathered.size() && first.size() < asio::buffer_size(buffers))
                first = asio::buffer(gathered.data(), asio::buffer_copy(asio::buffer(gathered), buffers));
            std::size_t n = 0;
            if (SSL_write_ex(ssl, first.data(), std::min(first.size(), tls_max_write), &n) != 1)
                return SSL_get_error(ssl, 0);
            bytes = n;
            return SSL_ERROR_NONE;
        }
    };

    // Runs `step` until it is done, sending what OpenSSL wrote and reading
    // ciphertext when it asks for more.
    template <class Step>
    struct operation {
        operation(tls_stream& s, Step st) : stream(s), step(std::move(st)) {}

        tls_stream& stream;
        Step step;
        enum class phase { start, reading, flushing, finishing } at = phase::start;
        bool finished = false;
        error_code result_ec;
        std::size_t result_bytes = 0;

        template <class Self>
        void operator()(Self& self) {
            if constexpr (std::is_same_v<Step, read_step>) {
                if (*step.deferred) {
                    result_ec = std::exchange(*step.deferred, error_code());
                    return finish_later(self);
                }
            }
            if constexpr (Step::completes_empty) {
                if (step.empty())
                    return finish_later(self);
            }
            run(self);
        }

        template <class Self>
        void operator()(Self& self, error_code ec, std::size_t bytes = 0) {
            auto& text = stream.text_;
            switch (at) {
            case phase::reading:
                if (ec == asio::error::eof)
                    text.in_eof = true;
                else if (ec)
                    return complete(self, ec);
                text.in_end += bytes;
                break;
            case phase::flushing:
                text.out.clear();
                if (ec && !finished)
                    return complete(self, ec);
                if (finished) // a failed write of a closing alert does not hide the failure
                    return complete(self, result_ec ? result_ec : ec);
                break;
            case phase::finishing: return complete(self, result_ec);
            case phase::start: break;
            }
            run(self);
        }

    private:
        template <class Self>
        void run(Self& self) {
            auto& text = stream.text_;
            // SSL_get_error needs the thread's error queue empty. Clearing an
            // empty queue still walks all its slots: looking costs less.
            if (ERR_peek_error() != 0)
                ERR_clear_error();
            int status = step(stream.ssl_, result_bytes);
            if (status == SSL_ERROR_WANT_READ && text.out.empty()) {
                // A cancellation that came between two reads of this operation
                // (after a record that held no data for the caller, such as a
                // TLS 1.3 session ticket) found no read to cancel: the
                // operation's state kept it.
                if (self.cancelled() != asio::cancellation_type::none)
                    return complete(self, asio::error::operation_aborted);
                if (!text.in_eof) {
                    at = phase::reading;
                    return stream.next_.async_read_some(text.in_space(), std::move(self));
                }
                finished = true; // the socket ended in the middle of a record
                result_ec = asio::ssl::error::stream_truncated;
            } else if (status != SSL_ERROR_WANT_READ) {
                finished = true;
                result_ec = status == SSL_ERROR_NONE ? error_code() : tls_error(status);
            }
            if (!text.out.empty()) {
                at = phase::flushing;
                return asio::async_write(stream.next_, asio::buffer(text.out), std::move(self));
            }
            if (at == phase::start)
                return finish_later(self);
            complete(self, result_ec);
        }

        // Done without waiting for anything: completes from the executor,
        // never inside the initiating call.
        template <class Self>
        void finish_later(Self& self) {
            at = phase::finishing;
            asio::post(stream.next_.get_executor(), asio::append(std::move(self), error_code(), std::size_t(0)));
        }

        template <class Self>
        void complete(Self& self, error_code ec) {
            if constexpr (std::is_same_v<Step, handshake_step>)
                self.complete(ec);
            else
                self.complete(ec, ec ? std::size_t(0) : result_bytes);
        }
    };

    template <class Signature, class Step, class Token>
    auto start(Step step, Token&& token) {
        return asio::async_compose<Token, Signature>(operation<Step>(*this, std::move(step)), token, next_);
    }

    NextLayer next_;
    tls_ciphertext text_;
    error_code deferred_read_error_;
    SSL* ssl_ = nullptr;
};

} // namespace dgrid::detail

#endif
