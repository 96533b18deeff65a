#ifndef DGRID_DETAIL_TRANSPORT_CONNECT_ROUTE_HPP
#define DGRID_DETAIL_TRANSPORT_CONNECT_ROUTE_HPP

// Internal: where a client's connections go and how they get there, the
// same for all of them (the pool holds one).

#include <dgrid/client_options.hpp>
#include <dgrid/detail/base_url.hpp>
#include <dgrid/detail/http/proxy_config.hpp>

#include <chrono>
#include <optional>

namespace dgrid::detail {

struct connect_route {
    base_url origin;                   // the gateway
    std::chrono::milliseconds timeout; // pool.connect_timeout: resolving, connecting, handshaking
    resolver_function resolver;        // client_options::resolver; empty: the system's
    // The HTTP proxy connections are made to instead of the gateway: a
    // CONNECT tunnel for TLS, absolute-form requests for plain HTTP.
    std::optional<proxy_endpoint> proxy;
};

} // namespace dgrid::detail

#endif
