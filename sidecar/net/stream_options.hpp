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

}  // namespace tandem::net
