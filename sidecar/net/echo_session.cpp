// The echo peer uses the stream options of websocket_session (message size limit, no automatic
// fragmentation, permessage-deflate as configured), so the conformance run measures how the
// production sockets frame, validate and close, not a differently tuned stream.
#include "net/echo_session.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "net/server_settings.hpp"
#include "net/stream_options.hpp"

namespace tandem::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

awaitable<void>
serve_echo(server_settings const& settings, beast::tcp_stream stream,
           beast::http::request<beast::http::string_body> request)
{
  websocket::stream<beast::tcp_stream> ws{std::move(stream)};
  prepare_plain_endpoint(ws, settings);

  error_code ec;
  co_await ws.async_accept(request, as_value(ec));
  if (ec) co_return;
  beast::flat_buffer buffer;
  for (;;) {
    co_await ws.async_read(buffer, as_value(ec));
    if (ec) break;  // closed by the peer, or failed by Beast with the close code RFC 6455 asks for
    ws.text(ws.got_text());
    co_await ws.async_write(buffer.data(), as_value(ec));
    if (ec) break;
    buffer.consume(buffer.size());
  }
  spdlog::debug("event=echo_closed error=\"{}\"", ec.message());
}

}  // namespace tandem::net
