// Accept loop: a failed accept (e.g. EMFILE) is logged and retried after a pause instead of
// spinning or ending the loop.
#include "net/listener.hpp"

#include <boost/asio/socket_base.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <stdexcept>

#include "net/http_session.hpp"
#include "net/io_worker.hpp"

namespace tandem::net {

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

asio::ip::tcp::endpoint
parse_endpoint(std::string const& host_port)
{
  auto const colon = host_port.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument{"expected host:port, got '" + host_port + "'"};
  auto host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto const port_text = host_port.substr(colon + 1);
  unsigned port = 0;
  auto const [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port > 65535)
    throw std::invalid_argument{"bad port in '" + host_port + "'"};
  error_code bad;
  auto const address = asio::ip::make_address(host.empty() ? "0.0.0.0" : (host == "localhost" ? "127.0.0.1" : host), bad);
  if (bad) throw std::invalid_argument{"bad address in '" + host_port + "' (use an IP address)"};
  return {address, static_cast<unsigned short>(port)};
}

listener::listener(io_worker& worker, asio::ip::tcp::endpoint endpoint, bool admin_only)
    : worker_{worker}, acceptor_{worker.ioc}, admin_only_{admin_only}
{
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.set_option(reuse_port(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void
listener::start()
{
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void
listener::stop()
{
  error_code ignored;
  acceptor_.close(ignored);
}

awaitable<void>
listener::accept_loop()
{
  auto self = shared_from_this();
  asio::steady_timer pause{acceptor_.get_executor()};
  while (acceptor_.is_open()) {
    error_code ec;
    auto socket = co_await acceptor_.async_accept(as_value(ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      spdlog::warn("event=accept_failed error=\"{}\"", ec.message());
      pause.expires_after(std::chrono::milliseconds{100});
      co_await pause.async_wait(as_value(ec));
      continue;
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    asio::co_spawn(acceptor_.get_executor(), serve_http(worker_, std::move(socket), admin_only_), asio::detached);
  }
}

}  // namespace tandem::net
