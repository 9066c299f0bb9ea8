// A WebSocket that sends every message back: the peer for the Autobahn|Testsuite conformance run
// (tests/conformance) and benchmarks. Test-only: served on /ws/echo/ only when the
// `test_echo_endpoint` setting is on (off by default); no session, Origin or rate checks.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "asio/asio.hpp"

namespace tandem::net {

struct server_settings;

/// Accepts the upgrade in `request` and echoes until the peer closes or fails the connection.
awaitable<void> serve_echo(server_settings const& settings, boost::beast::tcp_stream stream,
                           boost::beast::http::request<boost::beast::http::string_body> request);

}  // namespace tandem::net
