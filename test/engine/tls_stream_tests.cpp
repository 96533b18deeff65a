// The library's TLS layer (tls_stream) against Asio's own TLS server stream,
// both over Beast's test stream: the handshake in TLS 1.2 and 1.3, records
// read split at every byte, close_notify sent and received, a peer that
// closes without it, and alerts. No sockets.

#include <dgrid/detail/transport/tls_stream.hpp>

#include "certificates.hpp" // the emulator's

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>

#include <optional>
#include <string>

using namespace dgrid;
using namespace dgrid::detail;
namespace test = boost::beast::test;

namespace {

const emulator::certificate_bundle& certificates() {
    static const auto bundle = emulator::make_certificates({"localhost"});
    return bundle;
}

// A client and a server joined in memory, the server on Asio's TLS stream.
struct tls_pair {
    asio::io_context ctx;
    asio::ssl::context client_context{asio::ssl::context::tls_client};
    asio::ssl::context server_context{asio::ssl::context::tls_server};
    std::optional<tls_stream<test::stream>> client;
    std::optional<asio::ssl::stream<test::stream>> server;

    // `version`: the one TLS version both sides speak (0: the newest).
    // `fails`: the client's socket operations fail from its count on.
    explicit tls_pair(int version = 0, const char* host = "localhost", test::fail_count* fails = nullptr) {
        const auto& pki = certificates();
        client_context.add_certificate_authority(asio::buffer(pki.ca_certificate));
        client_context.set_verify_mode(asio::ssl::verify_peer);
        server_context.use_certificate_chain(asio::buffer(pki.leaf_certificate));
        server_context.use_private_key(asio::buffer(pki.leaf_private_key), asio::ssl::context::pem);
        if (version) {
            SSL_CTX_set_min_proto_version(server_context.native_handle(), version);
            SSL_CTX_set_max_proto_version(server_context.native_handle(), version);
        }
        client.emplace(fails ? test::stream(ctx, *fails) : test::stream(ctx), client_context);
        server.emplace(test::stream(ctx), server_context);
        client->next_layer().connect(server->next_layer());
        SSL_set_tlsext_host_name(client->native_handle(), host);
        SSL_set1_host(client->native_handle(), host);
    }

    // Runs the context until the client's operation is done, and what is
    // ready after it: the server may be left waiting for more (a shutdown
    // waiting for the client's close_notify, a handshake the client gave up).
    void run_until(const bool& done) {
        while (!done && ctx.run_one() != 0) {
        }
        ctx.poll();
        ctx.restart();
    }

    // Runs both handshakes; the client's error.
    error_code handshake() {
        error_code client_ec;
        bool done = false;
        client->async_handshake([&](error_code ec) {
            client_ec = ec;
            done = true;
        });
        server->async_handshake(asio::ssl::stream_base::server, [](error_code) {});
        run_until(done);
        return client_ec;
    }

    // The server sends `text`; the client reads it all, `read_size` bytes of
    // ciphertext at a time (0: as they come).
    std::string send_to_client(const std::string& text, std::size_t read_size = 0) {
        if (read_size)
            client->next_layer().read_size(read_size);
        asio::async_write(*server, asio::buffer(text), [](error_code ec, std::size_t) { BOOST_TEST(!ec); });
        std::string received(text.size(), '\0');
        asio::async_read(*client, asio::buffer(received), [](error_code ec, std::size_t) { BOOST_TEST(!ec); });
        ctx.run();
        ctx.restart();
        return received;
    }

    // The client's next read: how it ended.
    error_code client_read_end() {
        error_code result;
        bool done = false;
        char byte;
        client->async_read_some(asio::buffer(&byte, 1), [&](error_code ec, std::size_t) {
            result = ec;
            done = true;
        });
        run_until(done);
        return result;
    }
};

std::string pattern(std::size_t size) {
    std::string text(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        text[i] = static_cast<char>('a' + i % 26);
    return text;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls_stream_tests)

BOOST_AUTO_TEST_CASE(handshake_and_exchange_in_tls_1_2_and_1_3) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        BOOST_TEST_CONTEXT("version " << std::hex << version) {
            tls_pair pair(version);
            BOOST_TEST_REQUIRE(!pair.handshake());
            BOOST_TEST(SSL_version(pair.client->native_handle()) == version);
            // The client's request, then a response of several records.
            const std::string request = "GET / HTTP/1.1\r\n\r\n";
            asio::async_write(*pair.client, asio::buffer(request), [](error_code ec, std::size_t) { BOOST_TEST(!ec); });
            std::string got(request.size(), '\0');
            asio::async_read(*pair.server, asio::buffer(got), [](error_code ec, std::size_t) { BOOST_TEST(!ec); });
            pair.ctx.run();
            pair.ctx.restart();
            BOOST_TEST(got == request);
            const std::string response = pattern(40'000);
            BOOST_TEST(pair.send_to_client(response) == response);
        }
    }
}

BOOST_AUTO_TEST_CASE(records_split_at_every_byte) {
    for (std::size_t read_size : {1, 2, 3, 5, 7, 13, 100, 1000, 5000}) {
        BOOST_TEST_CONTEXT("ciphertext read " << read_size << " bytes at a time") {
            tls_pair pair;
            BOOST_TEST_REQUIRE(!pair.handshake());
            const std::string response = pattern(20'000); // two records, the second short
            BOOST_TEST(pair.send_to_client(response, read_size) == response);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_peer_s_close_notify_ends_the_stream) {
    tls_pair pair;
    BOOST_TEST_REQUIRE(!pair.handshake());
    pair.server->async_shutdown([](error_code) {});
    BOOST_CHECK(pair.client_read_end() == asio::error::eof);
}

BOOST_AUTO_TEST_CASE(close_notify_is_sent_at_once_on_a_graceful_close) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        BOOST_TEST_CONTEXT("version " << std::hex << version) {
            tls_pair pair(version);
            BOOST_TEST_REQUIRE(!pair.handshake());
            BOOST_TEST(pair.send_to_client("a response") == "a response");
            error_code ec;
            pair.client->send_close_notify(ec);
            BOOST_TEST(!ec, ec.message());
            error_code server_ec;
            char byte;
            pair.server->async_read_some(asio::buffer(&byte, 1),
                                         [&](error_code read_ec, std::size_t) { server_ec = read_ec; });
            pair.ctx.run();
            BOOST_CHECK(server_ec == asio::error::eof); // Asio's TLS stream: the peer's close_notify
        }
    }
}

BOOST_AUTO_TEST_CASE(a_peer_that_closes_without_close_notify_truncates_the_stream) {
    tls_pair pair;
    BOOST_TEST_REQUIRE(!pair.handshake());
    pair.server->next_layer().close();
    BOOST_CHECK(pair.client_read_end() == asio::ssl::error::stream_truncated);
}

BOOST_AUTO_TEST_CASE(data_before_a_cut_reaches_the_caller_first) {
    tls_pair pair;
    BOOST_TEST_REQUIRE(!pair.handshake());
    BOOST_TEST(pair.send_to_client("last words") == "last words");
    pair.server->next_layer().close();
    BOOST_CHECK(pair.client_read_end() == asio::ssl::error::stream_truncated);
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_host_fails_the_handshake) {
    tls_pair pair(0, "example.com");
    error_code ec = pair.handshake();
    BOOST_TEST((ec.category() == asio::error::get_ssl_category()), ec.message());
    BOOST_TEST(SSL_get_verify_result(pair.client->native_handle()) == X509_V_ERR_HOSTNAME_MISMATCH);
}

BOOST_AUTO_TEST_CASE(an_alert_from_the_server_fails_the_handshake) {
    tls_pair pair(TLS1_3_VERSION);
    SSL_set_max_proto_version(pair.client->native_handle(), TLS1_2_VERSION); // no version in common
    error_code ec = pair.handshake();
    BOOST_TEST((ec.category() == asio::error::get_ssl_category()), ec.message());
    BOOST_TEST(ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION,
               ec.message());
}

BOOST_AUTO_TEST_CASE(a_failure_at_every_socket_operation_fails_cleanly) {
    for (std::size_t n = 1; n < 100; ++n) {
        BOOST_TEST_CONTEXT("failure at operation " << n) {
            test::fail_count fails(n, asio::error::connection_reset);
            tls_pair pair(0, "localhost", &fails);
            pair.client->next_layer().read_size(512);
            error_code ec = pair.handshake();
            if (!ec) {
                const std::string response = pattern(3000);
                std::string received(response.size(), '\0');
                asio::async_write(*pair.server, asio::buffer(response), [](error_code, std::size_t) {});
                bool done = false;
                asio::async_read(*pair.client, asio::buffer(received), [&](error_code read_ec, std::size_t) {
                    ec = read_ec;
                    done = true;
                });
                pair.run_until(done);
                if (!ec) { // all operations walked
                    BOOST_TEST(received == response);
                    BOOST_TEST(n > 5u);
                    return;
                }
            }
            BOOST_CHECK(ec == asio::error::connection_reset);
        }
    }
    BOOST_FAIL("the exchange never ended");
}

BOOST_AUTO_TEST_SUITE_END()
