// The message limits every WebSocket endpoint applies to its stream (size, fragmentation,
// permessage-deflate), from the one server_settings, so the chat sockets and the test-only echo
// endpoint cannot drift apart.
#pragma once

#include <boost/beast/websocket/stream.hpp>

#include "net/server_settings.hpp"

namespace tandem::net {

template <typename Stream>
void
apply_message_limits(boost::beast::websocket::stream<Stream>& ws, server_settings const& settings)
{
  ws.read_message_max(settings.max_message_bytes);
  ws.auto_fragment(false);
  if (settings.permessage_deflate) {
    boost::beast::websocket::permessage_deflate deflate;
    deflate.server_enable = true;
    deflate.server_max_window_bits = settings.deflate_window_bits;
    deflate.client_max_window_bits = settings.deflate_window_bits;
    ws.set_option(deflate);
  }
}

// The whole stream setup of the bench/test endpoints (echo, shootout): the message limits, Beast's
// suggested server timeouts with the configured handshake timeout, and no TCP deadline (Beast's
// idle pings take over), so those endpoints cannot drift apart from each other.
template <typename Stream>
void
prepare_plain_endpoint(boost::beast::websocket::stream<Stream>& ws, server_settings const& settings)
{
  apply_message_limits(ws, settings);
  auto timeouts = boost::beast::websocket::stream_base::timeout::suggested(boost::beast::role_type::server);
  timeouts.handshake_timeout = settings.handshake_timeout;
  ws.set_option(timeouts);
  boost::beast::get_lowest_layer(ws).expires_never();
}

}  // namespace tandem::net
