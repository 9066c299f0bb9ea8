// Accept loop: connections not yet upgraded are capped per address and in total (503 and
// closed at once beyond); a failed accept (EMFILE) sheds the waiting connections with a
// descriptor lent by the process's reserve, then backs off exponentially instead of spinning,
// logging once per episode.
#include "net/listener.hpp"

#include <boost/asio/socket_base.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "asio/supervised_spawn.hpp"
#include "net/backlog_shedding.hpp"
#include "net/http_session.hpp"
#include "net/io_worker.hpp"

namespace tandem::net {

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

constexpr std::chrono::milliseconds first_backoff{10};
constexpr std::chrono::milliseconds max_backoff{1000};

/// An accept that failed because the process (EMFILE) or the system (ENFILE) has no descriptor.
bool
out_of_descriptors(error_code const& ec) noexcept
{
  return ec == asio::error::no_descriptors || ec.value() == ENFILE;
}

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

listener::listener(io_worker& worker, asio::ip::tcp::endpoint endpoint, bool admin_only, descriptor_reserve& reserve)
    : worker_{worker}, acceptor_{worker.ioc}, admin_only_{admin_only}, reserve_{reserve}
{
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.set_option(reuse_port(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void
listener::shed_waiting()
{
  auto const answered = shed_backlog(acceptor_, reserve_);
  worker_.metrics.connections_shed[static_cast<std::size_t>(shed_reason::descriptors)].fetch_add(
      answered, std::memory_order_relaxed);
}

void
listener::start()
{
  spawn(acceptor_.get_executor(), "accept_loop", [self = shared_from_this()] { return self->accept_loop(); },
        [weak = weak_from_this()] {
          if (auto self = weak.lock(); self && self->acceptor_.is_open()) self->start();  // keep accepting
        });
}

void
listener::stop()
{
  if (!acceptor_.is_open()) return;
  error_code ec;
  acceptor_.non_blocking(true, ec);
  // Without it, Asio's synchronous accept waits for the next connection after one that was
  // aborted in the backlog, and the drain of this thread with it.
  if (!ec) acceptor_.set_option(asio::socket_base::enable_connection_aborted(true), ec);
  while (!ec) {
    asio::ip::tcp::socket socket{acceptor_.get_executor()};
    acceptor_.accept(socket, ec);  // non-blocking: would_block once the backlog is empty
    if (ec == asio::error::connection_aborted || ec.value() == EPROTO) {
      ec = {};
      continue;  // that one is gone; the next may still wait
    }
    if (out_of_descriptors(ec)) {
      shed_waiting();  // the rest are told 503 as the drain would, not reset with the socket
      break;
    }
    if (ec) break;
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    // Uncounted: these are answered at once (503 while draining) and closed.
    spawn(acceptor_.get_executor(), "serve_http", serve_http(worker_, std::move(socket), admin_only_, unauthenticated_slot{}));
    ec = {};
  }
  error_code ignored;
  acceptor_.close(ignored);
}

awaitable<void>
listener::accept_loop()
{
  auto self = shared_from_this();
  asio::steady_timer pause{acceptor_.get_executor()};
  auto backoff = first_backoff;
  std::uint64_t failures = 0;  // in the current episode; logged when it starts and ends
  auto& caps = worker_.process.settings.unauthenticated;
  auto& slots = worker_.process.limits.unauthenticated();
  while (acceptor_.is_open()) {
    error_code ec;
    auto socket = co_await acceptor_.async_accept(as_value(ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      if (failures++ == 0) spdlog::warn("event=accept_failed error=\"{}\" backoff_ms={}", ec.message(), backoff.count());
      if (out_of_descriptors(ec)) shed_waiting();
      pause.expires_after(backoff);
      co_await pause.async_wait(as_value(ec));
      backoff = std::min(backoff * 2, max_backoff);
      continue;
    }
    if (failures > 0) spdlog::info("event=accept_recovered failures={}", failures);
    failures = 0;
    reserve_.top_up();  // if it is short, descriptors are free again: hold some back
    backoff = first_backoff;
    unauthenticated_slot slot;
    if (!admin_only_) {  // the admin listener is never capped: health checks must get through
      auto const address = socket.remote_endpoint(ec).address().to_string();
      auto const verdict = slots.admit(address, caps);
      if (!verdict.admitted) {
        worker_.metrics.count_refusal(503);
        worker_.metrics.connections_shed[static_cast<std::size_t>(verdict.reason)].fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("event=connection_shed address={} reason={}", address, ops::shed_reasons[static_cast<std::size_t>(verdict.reason)]);
        answer_503_and_close(socket);
        continue;
      }
      slot = slots.slot_for(address);
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    spawn(acceptor_.get_executor(), "serve_http", serve_http(worker_, std::move(socket), admin_only_, std::move(slot)));
  }
}

}  // namespace tandem::net
