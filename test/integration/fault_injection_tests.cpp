// Fail-count testing in the manner of Beast's test stream, over real
// sockets: a proxy in front of the emulator resets the connection at the Nth
// step of its traffic (accepting it, then each piece forwarded either way:
// the TLS handshake, the request, the response, each event of a stream), for
// every N across a whole exchange. Each run must end in a clean error or a
// correct answer, leave the pool consistent and the client usable.

#include "cutting_proxy.hpp"
#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace dgrid;
using namespace dgrid::test;

namespace {

// One exchange of `text`, plain or streamed (the fixture's calls).
asio::awaitable<call_result> plain_exchange(client& c, std::string text) {
    return chat_once(c, echo_request(std::move(text)));
}

asio::awaitable<call_result> streamed_exchange(client& c, std::string text) {
    // A pause per token puts the events in reads of their own: more points to fail.
    return stream_once(c, with_token_delay(echo_request(std::move(text)), 1));
}

// Arms the proxy's cut at every N in turn until an exchange needs fewer than
// N steps; returns how many runs failed.
template <class Exchange>
int walk_every_fault_point(emulator_fixture& f, client_options options, Exchange exchange, bool expect_recovery) {
    cutting_proxy proxy(f.server.port());
    const std::string scheme = options.base_url.substr(0, options.base_url.find("://"));
    options.base_url = scheme + "://127.0.0.1:" + std::to_string(proxy.port()) + "/v1";
    const std::string text = "every step may fail";
    int failed_runs = 0;
    for (long n = 1; n < 500; ++n) {
        auto c = f.make_client(options); // a new connection: connect and handshake are walked too
        proxy.cut_at(n);
        auto result = f.run(exchange(c, text));
        long left = proxy.disarm();
        BOOST_TEST_CONTEXT("cut at step " << n) {
            if (left > 0) { // the exchange is shorter than n steps: all walked
                BOOST_TEST(!result.ec);
                BOOST_TEST(n > 5);
                BOOST_TEST_MESSAGE(n - left << " steps walked, " << failed_runs << " runs failed cleanly");
                return failed_runs;
            }
            if (result.ec) {
                ++failed_runs;
                BOOST_TEST(!expect_recovery, result.ec.message());
                BOOST_TEST(!result.diag.message.empty());
            } else {
                BOOST_TEST(result.text == text);
            }
            auto stats = c.stats();
            BOOST_TEST(stats.open <= 1u);
            BOOST_TEST(stats.waiting == 0u);
            // The same client serves the next request.
            auto after = f.run(plain_exchange(c, "after the fault"));
            BOOST_TEST(!after.ec, after.ec.message());
            BOOST_TEST(after.text == "after the fault");
        }
    }
    BOOST_FAIL("the exchange never ended");
    return failed_runs;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fault_injection)

// Over TLS an exchange has at least five steps before its answer, however
// TCP coalesces the pieces: the accept, the ClientHello, the server's flight,
// the client's Finished (which may carry the request), and the response.
constexpr int steps_before_a_tls_answer = 5;

BOOST_FIXTURE_TEST_CASE(every_step_of_a_plain_exchange, emulator_fixture) {
    int failed = walk_every_fault_point(*this, client_options_for(), plain_exchange, false);
    BOOST_TEST(failed >= steps_before_a_tls_answer);
}

BOOST_FIXTURE_TEST_CASE(every_step_of_a_streamed_exchange, emulator_fixture) {
    int failed = walk_every_fault_point(*this, client_options_for(), streamed_exchange, false);
    // Each of the answer's events, sent apart, is one step more.
    BOOST_TEST(failed > steps_before_a_tls_answer);
}

BOOST_FIXTURE_TEST_CASE(every_step_of_a_plain_exchange_with_retries, emulator_fixture) {
    auto options = client_options_for();
    options.retry.max_retries = 2;
    options.retry.initial_backoff = std::chrono::milliseconds(1);
    walk_every_fault_point(*this, options, plain_exchange, true);
}

BOOST_AUTO_TEST_CASE(every_step_of_a_streamed_exchange_over_plain_http) {
    auto server_options = emulator_defaults();
    server_options.tls = false;
    emulator_fixture plain(server_options);
    int failed = walk_every_fault_point(plain, plain.client_options_for(), streamed_exchange, false);
    BOOST_TEST(failed > 3);
}

BOOST_AUTO_TEST_SUITE_END()
