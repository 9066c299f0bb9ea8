// The websocket-shootout protocol (github.com/hashrocket/websocket-shootout), so users can compare
// Tandem's WebSocket stack with other servers using the shootout's well-known tools. Bench-only:
// served on /ws/shootout/ only when the `bench_shootout_endpoint` setting is on (off by default);
// no session, Origin or rate checks, like the test-only echo endpoint.
//
//   {"type":"echo","payload":P}       -> the same frame back to the sender
//   {"type":"broadcast","payload":P}  -> {"type":"broadcast","payload":P} to every connection of
//                                        the endpoint in this process (any I/O thread), then
//                                        {"type":"broadcastResult","payload":P} to the sender
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "asio/asio.hpp"

namespace tandem::net {

struct server_settings;

/// Accepts the upgrade in `request` and serves the shootout protocol until the peer leaves.
awaitable<void> serve_shootout(server_settings const& settings, boost::beast::tcp_stream stream,
                               boost::beast::http::request<boost::beast::http::string_body> request);

/// Connections of the endpoint open in this process (for tests and the benchmark's checks).
std::size_t shootout_connections();

}  // namespace tandem::net
