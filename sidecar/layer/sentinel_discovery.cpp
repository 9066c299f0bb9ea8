// One short-lived plain TCP connection per Sentinel asked: AUTH when sentinel_kwargs has a
// password, then SENTINEL get-master-addr-by-name.
#include "layer/sentinel_discovery.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <charconv>
#include <memory>

#include "layer/layer_error.hpp"
#include "layer/resp_reader.hpp"
#include "layer/resp_value.hpp"

namespace tandem::layer {

namespace {

struct answer {
  error_code ec;
  std::vector<resp_value> replies;
};

// Sends `commands` to one Sentinel and reads their replies, all within `timeout`.
awaitable<answer>
ask(asio::any_io_executor executor, std::string const& host, std::uint16_t port,
    std::vector<std::vector<std::string>> const& commands, std::chrono::milliseconds timeout)
{
  answer out;
  auto socket = std::make_shared<asio::ip::tcp::socket>(executor);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer deadline{executor};
  deadline.expires_after(timeout);
  deadline.async_wait([socket, timed_out](error_code ec) {
    if (ec) return;
    *timed_out = true;
    error_code ignored;
    socket->close(ignored);
  });
  asio::ip::tcp::resolver resolver{executor};
  auto const results = co_await resolver.async_resolve(host, std::to_string(port), as_value(out.ec));
  if (!out.ec) {
    for (auto const& entry : results) {
      co_await socket->async_connect(entry.endpoint(), as_value(out.ec));
      if (!out.ec || *timed_out) break;
    }
  }
  std::string request;
  for (auto const& command : commands) append_command(request, command);
  if (!out.ec) co_await asio::async_write(*socket, asio::buffer(request), as_value(out.ec));
  resp_reader reader;
  std::array<char, 4096> buffer{};
  while (!out.ec && out.replies.size() < commands.size()) {
    std::size_t const n = co_await socket->async_read_some(asio::buffer(buffer), as_value(out.ec));
    if (out.ec) break;
    reader.feed({buffer.data(), n});
    while (auto reply = reader.next()) out.replies.push_back(std::move(*reply));
    if (reader.failed()) out.ec = layer_errc::protocol_error;
  }
  deadline.cancel();
  if (*timed_out) out.ec = layer_errc::timed_out;
  error_code ignored;
  socket->close(ignored);
  co_return out;
}

}  // namespace

awaitable<master_address>
discover_master(asio::any_io_executor executor, sentinel_options const& options, std::chrono::milliseconds timeout,
                std::size_t first, std::size_t& answered)
{
  master_address out;
  std::vector<std::vector<std::string>> commands;
  if (!options.password.empty()) {
    if (options.username.empty())
      commands.push_back({"AUTH", options.password});
    else
      commands.push_back({"AUTH", options.username, options.password});
  }
  commands.push_back({"SENTINEL", "get-master-addr-by-name", options.master_name});
  auto const count = options.addresses.size();
  for (std::size_t k = 0; k < count; ++k) {
    auto const i = (first + k) % count;
    // (Plain references, not structured bindings: GCC 12 mishandles those across a co_await.)
    auto const& host = options.addresses[i].first;
    auto const port = options.addresses[i].second;
    auto const reply = co_await ask(executor, host, port, commands, timeout);
    std::string const who = host + ":" + std::to_string(port);
    if (reply.ec) {
      out.detail += who + " " + reply.ec.message() + "; ";
      continue;
    }
    if (reply.replies.front().is_error()) {
      out.detail += who + " " + reply.replies.front().str + "; ";
      continue;
    }
    auto const& addr = reply.replies.back();
    if (addr.is_error() || addr.elements.size() != 2) {
      out.detail += who + (addr.is_error() ? " " + addr.str : " does not know master " + options.master_name) + "; ";
      continue;
    }
    std::uint16_t master_port = 0;
    auto const& port_text = addr.elements[1].str;
    auto const [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), master_port);
    if (ec != std::errc{} || p != port_text.data() + port_text.size()) {
      out.detail += who + " answered a bad port; ";
      continue;
    }
    out.host = addr.elements[0].str;
    out.port = master_port;
    answered = i;
    co_return out;
  }
  out.ec = layer_errc::not_connected;
  co_return out;
}

}  // namespace tandem::layer
