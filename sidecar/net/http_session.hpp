// One accepted TCP connection before it is a WebSocket: reads requests under a deadline
// (slowloris protection), answers the admin endpoints, refuses bad or unauthorised upgrades
// with a plain HTTP status, and hands good ones to websocket_session.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "asio/asio.hpp"
#include "net/unauthenticated_slots.hpp"

namespace tandem::net {

struct io_worker;

/// Serves the connection until it closes or becomes a WebSocket. `admin_only` listeners answer
/// only /healthz, /readyz and /metrics. `slot` counts the connection as unauthenticated until
/// its upgrade is admitted (empty on the admin listener).
awaitable<void> serve_http(io_worker& worker, asio::ip::tcp::socket socket, bool admin_only,
                           unauthenticated_slot slot);

}  // namespace tandem::net
