// The fake's command handling: ECHO, PING, SET/GET on a map, AUTH/SELECT accepted, the blocking
// pops (BZMPOP, BZPOPMIN) never answered (an empty queue, with a long enough block), anything
// else answered +OK. Commands are parsed with the sidecar's own RESP reader (a command is an array
// of bulk strings, which is a RESP value like any reply).
#include "layer/fake_redis.hpp"

#include <boost/asio/write.hpp>

#include <map>
#include <thread>

#include "layer/resp_reader.hpp"

namespace tandem::testing {

namespace {

std::string
bulk(std::string const& s)
{
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string
answer(std::vector<std::string> const& command, fake_redis_options const& options,
       std::map<std::string, std::string>& data)
{
  std::string name = command.empty() ? std::string{} : command[0];
  for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name == "BZMPOP" || name == "BZPOPMIN") return {};
  if (name == "PING") return "+PONG\r\n";
  if (name == "ECHO" && command.size() == 2) return bulk(command[1]);
  if (name == "AUTH" || name == "SELECT") return "+OK\r\n";
  if (name == "GET" && command.size() == 2) {
    auto it = data.find(command[1]);
    return it == data.end() ? "$-1\r\n" : bulk(it->second);
  }
  if (options.readonly) return "-READONLY You can't write against a read only replica.\r\n";
  if (name == "SET" && command.size() == 3) {
    data[command[1]] = command[2];
    return "+OK\r\n";
  }
  return "+OK\r\n";
}

}  // namespace

fake_redis::fake_redis(asio::any_io_executor executor, fake_redis_options options)
    : executor_{executor},
      options_{std::make_shared<fake_redis_options>(options)},
      acceptor_{executor}
{
  asio::ip::tcp::endpoint const ep{asio::ip::make_address("127.0.0.1"), 0};
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  // Set before listen(): accepted sockets inherit it, and a small window is only negotiated
  // at the handshake.
  if (options.receive_buffer > 0) acceptor_.set_option(asio::socket_base::receive_buffer_size(options.receive_buffer));
  acceptor_.bind(ep);
  acceptor_.listen();
  asio::co_spawn(executor_, accept_loop(), asio::detached);
}

fake_redis::~fake_redis()
{
  stop();
}

std::uint16_t
fake_redis::port() const
{
  return acceptor_.local_endpoint().port();
}

std::string
fake_redis::url() const
{
  return "redis://127.0.0.1:" + std::to_string(port()) + "/0";
}

void
fake_redis::drop_connections()
{
  for (auto& weak : *open_)
    if (auto socket = weak.lock()) {
      error_code ignored;
      socket->close(ignored);
    }
  open_->clear();
}

void
fake_redis::stop()
{
  error_code ignored;
  acceptor_.close(ignored);
  drop_connections();
}

awaitable<void>
fake_redis::accept_loop()
{
  for (;;) {
    error_code ec;
    auto socket = std::make_shared<asio::ip::tcp::socket>(co_await acceptor_.async_accept(as_value(ec)));
    if (ec) co_return;
    ++*accepted_;
    if (options_->close_on_accept) {
      socket->close(ec);
      continue;
    }
    open_->push_back(socket);
    asio::co_spawn(executor_, serve(socket), asio::detached);
  }
}

awaitable<void>
fake_redis::serve(std::shared_ptr<asio::ip::tcp::socket> socket)
{
  auto options = options_;
  auto commands = commands_;
  auto protocol_errors = protocol_errors_;
  layer::resp_reader reader;
  std::map<std::string, std::string> data;
  std::vector<char> buffer;
  asio::steady_timer pause{executor_};
  for (;;) {
    if (options->read_pause.count() > 0) {
      pause.expires_after(options->read_pause);
      error_code ignored;
      co_await pause.async_wait(as_value(ignored));
    }
    buffer.resize(options->read_chunk);
    error_code ec;
    auto const n = co_await socket->async_read_some(asio::buffer(buffer), as_value(ec));
    if (ec) co_return;
    reader.feed({buffer.data(), n});
    std::string out;
    while (auto value = reader.next()) {
      std::vector<std::string> command;
      bool well_formed = value->type == layer::resp_value::kind::array;
      for (auto const& part : value->elements) {
        if (part.type != layer::resp_value::kind::string) well_formed = false;
        command.push_back(part.str);
      }
      if (!well_formed) {
        ++*protocol_errors;
        out += "-ERR Protocol error: expected '$', got something else\r\n";
        continue;
      }
      commands->push_back(command);
      if (options->resets > 0 && !command.empty() && command[0] == options->reset_on) {
        --options->resets;
        socket->close(ec);
        co_return;
      }
      out += answer(command, *options, data);
    }
    if (reader.failed()) {
      ++*protocol_errors;
      socket->close(ec);
      co_return;
    }
    if (!out.empty()) {
      co_await asio::async_write(*socket, asio::buffer(out), as_value(ec));
      if (ec) co_return;
    }
  }
}

}  // namespace tandem::testing
