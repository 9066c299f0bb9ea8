// Pipelined Redis connection with reconnects. One coroutine owns the connect/reconnect cycle,
// one reads replies while connected, one writes whatever has been queued.
#include "layer/resp_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <random>

#include "layer/layer_error.hpp"

namespace tandem::layer {

// One run() waiting for its replies. The timer doubles as the wake-up signal: cancel() wakes
// the waiter; expiry means Redis took too long.
struct resp_connection::call {
  explicit call(asio::any_io_executor ex, std::size_t n) : signal{ex}, remaining{n} { replies.reserve(n); }
  asio::steady_timer signal;
  std::size_t remaining;
  std::vector<resp_value> replies;
  error_code ec;
  bool done = false;
};

std::shared_ptr<resp_connection>
resp_connection::create(asio::any_io_executor executor, redis_endpoint endpoint, connection_options options)
{
  return std::shared_ptr<resp_connection>{new resp_connection{std::move(executor), std::move(endpoint), options}};
}

resp_connection::resp_connection(asio::any_io_executor executor, redis_endpoint endpoint, connection_options options)
    : executor_{executor},
      endpoint_{std::move(endpoint)},
      options_{options},
      socket_{executor},
      closed_signal_{executor},
      retry_timer_{executor}
{
}

void
resp_connection::start()
{
  asio::co_spawn(executor_, [self = shared_from_this()] { return self->connection_loop(); }, asio::detached);
}

void
resp_connection::stop()
{
  stopped_ = true;
  retry_timer_.cancel();
  close_with(layer_errc::stopped);
}

awaitable<void>
resp_connection::connection_loop()
{
  auto self = shared_from_this();
  std::minstd_rand jitter{std::random_device{}()};
  int attempt = 1;
  while (!stopped_) {
    error_code ec = co_await connect_socket();
    if (!ec) {
      reader_ = std::make_unique<resp_reader>();
      connected_ = true;
      closed_signal_.expires_at(asio::steady_timer::time_point::max());
      asio::co_spawn(executor_, [self] { return self->read_loop(); }, asio::detached);
      ec = co_await handshake();
      if (!ec) {
        if (attempt > 1) spdlog::info("event=redis_reconnected endpoint={}", describe(endpoint_));
        attempt = 1;
        if (on_connect_) on_connect_();
        error_code wait_ec;
        co_await closed_signal_.async_wait(as_value(wait_ec));  // until close_with()
        continue;
      }
      close_with(ec);
    }
    if (stopped_) break;
    double const r = std::uniform_real_distribution<double>{0.0, 1.0}(jitter);
    auto const delay = core::backoff_delay(options_.reconnect, std::min(attempt, 30), r).value_or(5000);
    if (attempt == 1 || attempt % 10 == 0)
      spdlog::warn("event=redis_unavailable endpoint={} error=\"{}\" retry_ms={} attempt={}", describe(endpoint_),
                   ec.message(), delay, attempt);
    ++attempt;
    retry_timer_.expires_after(std::chrono::milliseconds{delay});
    error_code wait_ec;
    co_await retry_timer_.async_wait(as_value(wait_ec));
  }
}

awaitable<error_code>
resp_connection::connect_socket()
{
  error_code ec;
  asio::steady_timer deadline{executor_};
  deadline.expires_after(options_.connect_timeout);
  bool timed_out = false;
  deadline.async_wait([this, &timed_out](error_code wait_ec) {
    if (wait_ec) return;
    timed_out = true;
    error_code ignored;
    socket_.close(ignored);
  });
  if (endpoint_.kind == redis_endpoint::transport::unix_socket) {
    asio::local::stream_protocol::endpoint const ep{endpoint_.path};
    co_await socket_.async_connect(asio::generic::stream_protocol::endpoint{ep}, as_value(ec));
  } else {
    asio::ip::tcp::resolver resolver{executor_};
    auto const results =
        co_await resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port), as_value(ec));
    for (auto const& entry : results) {
      if (timed_out) break;
      error_code ignored;
      socket_.close(ignored);
      co_await socket_.async_connect(asio::generic::stream_protocol::endpoint{entry.endpoint()}, as_value(ec));
      if (!ec) {
        socket_.set_option(asio::ip::tcp::no_delay{true}, ignored);
        break;
      }
    }
  }
  deadline.cancel();
  if (timed_out) ec = layer_errc::timed_out;
  if (ec) {
    error_code ignored;
    socket_.close(ignored);
  }
  co_return ec;
}

awaitable<error_code>
resp_connection::handshake()
{
  std::vector<std::vector<std::string>> commands;
  if (!endpoint_.password.empty()) {
    if (endpoint_.username.empty())
      commands.push_back({"AUTH", endpoint_.password});
    else
      commands.push_back({"AUTH", endpoint_.username, endpoint_.password});
  }
  if (endpoint_.db != 0) commands.push_back({"SELECT", std::to_string(endpoint_.db)});
  if (commands.empty()) co_return error_code{};
  auto const batch = co_await run(std::move(commands));
  if (batch.ec) co_return batch.ec;
  for (auto const& reply : batch.replies) {
    if (reply.is_error()) {
      spdlog::error("event=redis_handshake_failed endpoint={} reply=\"{}\"", describe(endpoint_), reply.str);
      co_return make_error_code(layer_errc::redis_error);
    }
  }
  co_return error_code{};
}

awaitable<resp_batch>
resp_connection::run(std::vector<std::vector<std::string>> commands, std::chrono::milliseconds extra_timeout)
{
  if (stopped_) co_return resp_batch{layer_errc::stopped, {}};
  if (!connected_) co_return resp_batch{layer_errc::not_connected, {}};
  if (commands.empty()) co_return resp_batch{};
  auto pending = std::make_shared<call>(executor_, commands.size());
  for (auto const& command : commands) append_command(outbox_, command);
  commands_sent_ += commands.size();
  waiting_.push_back(pending);
  if (!writing_) asio::co_spawn(executor_, [self = shared_from_this()] { return self->write_loop(); }, asio::detached);

  pending->signal.expires_after(options_.command_timeout + extra_timeout);
  error_code wait_ec;
  co_await pending->signal.async_wait(as_value(wait_ec));
  if (!pending->done) close_with(layer_errc::timed_out);  // the timer ran out: Redis is stuck
  co_return resp_batch{pending->ec, std::move(pending->replies)};
}

awaitable<bool>
resp_connection::wait_connected(std::chrono::milliseconds limit)
{
  asio::steady_timer timer{executor_};
  auto const deadline = std::chrono::steady_clock::now() + limit;
  while (!connected_ && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds{20});
    error_code ec;
    co_await timer.async_wait(as_value(ec));
  }
  co_return connected_;
}

awaitable<void>
resp_connection::read_loop()
{
  auto self = shared_from_this();
  std::array<char, 64 * 1024> buffer{};
  while (connected_) {
    error_code ec;
    std::size_t const n = co_await socket_.async_read_some(asio::buffer(buffer), as_value(ec));
    if (ec) {
      close_with(ec);
      co_return;
    }
    reader_->feed({buffer.data(), n});
    while (auto reply = reader_->next()) deliver(std::move(*reply));
    if (reader_->failed()) {
      spdlog::error("event=redis_protocol_error endpoint={} error=\"{}\"", describe(endpoint_), reader_->error());
      close_with(layer_errc::protocol_error);
      co_return;
    }
  }
}

awaitable<void>
resp_connection::write_loop()
{
  auto self = shared_from_this();
  writing_ = true;
  std::string sending;
  while (connected_ && !outbox_.empty()) {
    sending.clear();
    std::swap(sending, outbox_);
    error_code ec;
    co_await asio::async_write(socket_, asio::buffer(sending), as_value(ec));
    if (ec) {
      close_with(ec);
      break;
    }
  }
  writing_ = false;
}

void
resp_connection::deliver(resp_value value)
{
  if (waiting_.empty()) {
    close_with(layer_errc::protocol_error);  // a reply nobody asked for: the stream is out of step
    return;
  }
  auto& front = waiting_.front();
  front->replies.push_back(std::move(value));
  if (--front->remaining == 0) {
    front->done = true;
    front->signal.cancel();
    waiting_.pop_front();
  }
}

void
resp_connection::close_with(error_code ec)
{
  if (!connected_) {
    if (ec == layer_errc::stopped) closed_signal_.cancel();
    return;
  }
  connected_ = false;
  error_code ignored;
  socket_.close(ignored);
  outbox_.clear();
  for (auto& pending : waiting_) {
    pending->ec = ec;
    pending->done = true;
    pending->signal.cancel();
  }
  waiting_.clear();
  closed_signal_.cancel();
  if (ec != layer_errc::stopped)
    spdlog::warn("event=redis_connection_lost endpoint={} error=\"{}\"", describe(endpoint_), ec.message());
}

}  // namespace tandem::layer
