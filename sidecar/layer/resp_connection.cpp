// Pipelined Redis connection with reconnects. One coroutine owns the connect/reconnect cycle;
// each connection then gets exactly one reader and one writer for its whole life, so two
// writes can never interleave their bytes on the socket, whatever the callers do.
#include "layer/resp_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <random>

#include "asio/supervised_spawn.hpp"
#include "layer/layer_error.hpp"
#include "layer/sentinel_discovery.hpp"
#include "layer/tls_context.hpp"

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

bool
failed(resp_batch const& batch) noexcept
{
  if (batch.ec) return true;
  for (auto const& reply : batch.replies)
    if (reply.is_error()) return true;
  return false;
}

std::string
describe_failure(resp_batch const& batch)
{
  if (batch.ec) return batch.ec.message();
  for (auto const& reply : batch.replies)
    if (reply.is_error()) return reply.str;
  return {};
}

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
      retry_timer_{executor},
      write_wakeup_{executor},
      connected_signal_{executor}
{
  if (endpoint_.tls.enabled) tls_context_ = make_tls_context(endpoint_.tls);
}

void
resp_connection::start()
{
  auto self = shared_from_this();
  spawn(executor_, "redis_connection_loop", [self] { return self->connection_loop(); }, [weak = weak_from_this()] {
    // The loop must always run while the connection is wanted: start it again, after a
    // pause so a loop that fails at once cannot spin.
    auto again = weak.lock();
    if (!again || again->stopped_) return;
    again->close_with(layer_errc::protocol_error);
    again->retry_timer_.expires_after(std::chrono::milliseconds{100});
    again->retry_timer_.async_wait([weak](error_code ec) {
      if (auto connection = weak.lock(); connection && !ec && !connection->stopped_) connection->start();
    });
  });
}

void
resp_connection::stop()
{
  stopped_ = true;
  retry_timer_.cancel();
  connected_signal_.cancel();
  close_with(layer_errc::stopped);
  error_code ignored;
  socket_.close(ignored);  // also ends a connect in progress
}

awaitable<void>
resp_connection::connection_loop()
{
  auto self = shared_from_this();
  std::minstd_rand jitter{std::random_device{}()};
  int attempt = 1;
  while (!stopped_) {
    error_code ec = co_await connect_socket();
    if (stopped_) break;
    if (!ec) {
      reader_ = std::make_unique<resp_reader>();
      connected_ = true;
      reconnect_wanted_ = false;
      auto const generation = ++generation_;
      closed_signal_.expires_at(asio::steady_timer::time_point::max());
      auto on_failure = [weak = weak_from_this(), generation] {
        if (auto again = weak.lock(); again && again->generation_ == generation)
          again->close_with(layer_errc::protocol_error);
      };
      spawn(executor_, "redis_read_loop", [self, generation] { return self->read_loop(generation); }, on_failure);
      spawn(executor_, "redis_write_loop", [self, generation] { return self->write_loop(generation); }, on_failure);
      ec = co_await handshake();
      if (stopped_) break;
      if (!ec && connected_) {
        ready_ = true;
        auto const connected_at = std::chrono::steady_clock::now();
        if (attempt > 1) spdlog::info("event=redis_reconnected endpoint={}", describe(endpoint_));
        connected_signal_.cancel();
        if (on_connect_) on_connect_();
        error_code wait_ec;
        co_await closed_signal_.async_wait(as_value(wait_ec));  // until close_with()
        if (stopped_) break;
        if (std::chrono::steady_clock::now() - connected_at >= options_.healthy_after) {
          attempt = 1;
          continue;  // a healthy connection dropped: reconnect at once
        }
        ec = make_error_code(layer_errc::not_connected);  // closed right away: back off
      } else {
        close_with(ec ? ec : make_error_code(layer_errc::not_connected));
      }
    }
    if (stopped_) break;
    double const r = std::uniform_real_distribution<double>{0.0, 1.0}(jitter);
    auto delay = core::backoff_delay(options_.reconnect, std::min(attempt, 30), r).value_or(1000);
    if (ec == layer_errc::auth_refused) {
      // handshake() logged why; reconnecting quickly cannot fix a password.
      delay = static_cast<decltype(delay)>(options_.auth_retry.count());
      ++attempt;
      retry_timer_.expires_after(std::chrono::milliseconds{delay});
      error_code wait_ec;
      co_await retry_timer_.async_wait(as_value(wait_ec));
      continue;
    }
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
  // The deadline's state is shared with its handler, not referenced from this frame: a handler
  // already queued when the connect completes must find the attempt finished and leave the
  // (now healthy) socket alone.
  struct attempt_state {
    bool finished = false;
    bool timed_out = false;
  };
  auto state = std::make_shared<attempt_state>();
  error_code ec;
  tls_.reset();  // a new connection gets a new TLS session
  std::string host = endpoint_.host;
  std::uint16_t port = endpoint_.port;
  if (endpoint_.kind == redis_endpoint::transport::sentinel) {
    // Asked at every connect: after a failover (the old master closed us, or said READONLY)
    // the Sentinels name the new one.
    std::size_t answered = sentinel_index_;
    auto const master =
        co_await discover_master(executor_, endpoint_.sentinel, options_.connect_timeout, sentinel_index_, answered);
    if (master.ec) {
      // Logged like redis_unavailable: the first time, then every tenth attempt.
      if (++sentinel_failures_ == 1 || sentinel_failures_ % 10 == 0)
        spdlog::warn("event=sentinel_no_master endpoint={} attempts={} detail=\"{}\"", describe(endpoint_),
                     sentinel_failures_, master.detail);
      co_return master.ec;
    }
    sentinel_failures_ = 0;
    sentinel_index_ = answered;
    if (master.host != master_host_ || master.port != master_port_)
      spdlog::info("event=sentinel_master endpoint={} master={}:{}", describe(endpoint_), master.host, master.port);
    master_host_ = host = master.host;
    master_port_ = port = master.port;
  }
  asio::steady_timer deadline{executor_};
  deadline.expires_after(options_.connect_timeout);
  deadline.async_wait([self = shared_from_this(), state](error_code wait_ec) {
    if (wait_ec || state->finished) return;
    state->timed_out = true;
    error_code ignored;
    self->socket_.close(ignored);
  });
  if (endpoint_.kind == redis_endpoint::transport::unix_socket) {
    asio::local::stream_protocol::endpoint const ep{endpoint_.path};
    co_await socket_.async_connect(asio::generic::stream_protocol::endpoint{ep}, as_value(ec));
  } else {
    asio::ip::tcp::resolver resolver{executor_};
    auto const results = co_await resolver.async_resolve(host, std::to_string(port), as_value(ec));
    for (auto const& entry : results) {
      if (state->timed_out) break;
      error_code ignored;
      socket_.close(ignored);
      co_await socket_.async_connect(asio::generic::stream_protocol::endpoint{entry.endpoint()}, as_value(ec));
      if (!ec) {
        socket_.set_option(asio::ip::tcp::no_delay{true}, ignored);
        break;
      }
    }
  }
  if (!ec && !state->timed_out && tls_context_) ec = co_await start_tls(host);
  state->finished = true;
  deadline.cancel();
  if (state->timed_out) ec = layer_errc::timed_out;
  if (ec) {
    error_code ignored;
    socket_.close(ignored);
  }
  co_return ec;
}

awaitable<error_code>
resp_connection::start_tls(std::string const& host)
{
  auto stream = std::make_shared<tls_stream>(socket_, *tls_context_);
  tls_ = stream;
  error_code not_ip;
  asio::ip::make_address(host, not_ip);
  // SNI for names (a proxy in front of managed Redis routes on it), never for addresses.
  if (not_ip) SSL_set_tlsext_host_name(stream->native_handle(), host.c_str());
  if (endpoint_.tls.check_hostname && endpoint_.tls.cert_reqs != tls_options::verify::none)
    stream->set_verify_callback(asio::ssl::host_name_verification{host});
  error_code ec;
  co_await stream->async_handshake(asio::ssl::stream_base::client, as_value(ec));
  if (ec) {
    auto const problem = certificate_problem(stream->native_handle());
    spdlog::error("event=redis_tls_failed endpoint={} error=\"{}\" certificate=\"{}\"", describe(endpoint_),
                  ec.message(), problem.empty() ? "-" : problem);
  }
  co_return ec;
}

awaitable<error_code>
resp_connection::handshake()
{
  std::vector<std::vector<std::string>> commands;
  if (endpoint_.password.empty())
    commands.push_back({"PING"});  // a server that wants a password says so now (NOAUTH), not on every command
  else if (endpoint_.username.empty())
    commands.push_back({"AUTH", endpoint_.password});
  else
    commands.push_back({"AUTH", endpoint_.username, endpoint_.password});
  if (endpoint_.db != 0) commands.push_back({"SELECT", std::to_string(endpoint_.db)});
  // A Sentinel may name the old master for a moment during a failover: only a master will do.
  bool const check_role = endpoint_.kind == redis_endpoint::transport::sentinel;
  if (check_role) commands.push_back({"ROLE"});
  auto const batch = co_await exchange(std::move(commands), options_.command_timeout);
  if (batch.ec) co_return batch.ec;
  for (auto const& reply : batch.replies) {
    if (!reply.is_error()) continue;
    // Refused credentials, told apart from other handshake errors (a bad db number): the
    // operator needs to know which setting to fix, and retrying soon will not help.
    bool const refused = reply.str.starts_with("WRONGPASS") || reply.str.starts_with("NOAUTH") ||
                         reply.str.starts_with("NOPERM") || reply.str.starts_with("ERR AUTH") ||
                         reply.str.starts_with("ERR invalid password") || reply.str.starts_with("ERR Client sent AUTH");
    if (refused) {
      if (!auth_refused_)
        spdlog::error("event=redis_auth_failed endpoint={} user={} reply=\"{}\" retry_s={} hint=\"check the "
                      "username and password of this host in redis_hosts (CHANNEL_LAYERS hosts)\"",
                      describe(endpoint_), endpoint_.username.empty() ? "default" : endpoint_.username, reply.str,
                      options_.auth_retry.count() / 1000);
      auth_refused_ = true;
      co_return make_error_code(layer_errc::auth_refused);
    }
    spdlog::error("event=redis_handshake_failed endpoint={} reply=\"{}\"", describe(endpoint_), reply.str);
    co_return make_error_code(layer_errc::redis_error);
  }
  if (check_role && (batch.replies.back().elements.empty() || batch.replies.back().elements[0].str != "master")) {
    spdlog::warn("event=sentinel_not_master endpoint={} address={}:{} action=ask_again", describe(endpoint_),
                 master_host_, master_port_);
    co_return make_error_code(layer_errc::not_connected);
  }
  if (auth_refused_) spdlog::info("event=redis_auth_accepted endpoint={}", describe(endpoint_));
  auth_refused_ = false;
  co_return error_code{};
}

awaitable<resp_batch>
resp_connection::run(std::vector<std::vector<std::string>> commands, std::chrono::milliseconds extra_timeout)
{
  if (stopped_) co_return resp_batch{layer_errc::stopped, {}};
  if (!ready_) co_return resp_batch{layer_errc::not_connected, {}};
  co_return co_await exchange(std::move(commands), options_.command_timeout + extra_timeout);
}

awaitable<resp_batch>
resp_connection::exchange(std::vector<std::vector<std::string>> commands, std::chrono::milliseconds timeout)
{
  if (!connected_) co_return resp_batch{layer_errc::not_connected, {}};
  if (commands.empty()) co_return resp_batch{};
  auto pending = std::make_shared<call>(executor_, commands.size());
  for (auto const& command : commands) append_command(outbox_, command);
  commands_sent_ += commands.size();
  waiting_.push_back(pending);
  write_wakeup_.cancel();  // the connection's writer takes it from the outbox

  pending->signal.expires_after(timeout);
  error_code wait_ec;
  co_await pending->signal.async_wait(as_value(wait_ec));
  if (!pending->done) close_with(layer_errc::timed_out);  // the timer ran out: Redis is stuck
  co_return resp_batch{pending->ec, std::move(pending->replies)};
}

awaitable<bool>
resp_connection::wait_connected(std::chrono::milliseconds limit)
{
  if (ready_ || stopped_) co_return ready_;
  auto const deadline = std::chrono::steady_clock::now() + limit;
  while (!ready_ && !stopped_ && std::chrono::steady_clock::now() < deadline) {
    connected_signal_.expires_at(deadline);  // cancelled when a connection is ready
    error_code ec;
    co_await connected_signal_.async_wait(as_value(ec));
  }
  co_return ready_;
}

awaitable<void>
resp_connection::read_loop(std::uint64_t generation)
{
  auto self = shared_from_this();
  auto const stream = tls_;  // this connection's, kept alive until its read returns
  std::array<char, 64 * 1024> buffer{};
  while (connected_ && generation_ == generation) {
    error_code ec;
    std::size_t n = 0;
    if (stream)
      n = co_await stream->async_read_some(asio::buffer(buffer), as_value(ec));
    else
      n = co_await socket_.async_read_some(asio::buffer(buffer), as_value(ec));
    if (generation_ != generation) co_return;  // that connection is gone; a new one owns the socket
    if (ec) {
      close_with(ec);
      co_return;
    }
    reader_->feed({buffer.data(), n});
    while (connected_ && generation_ == generation) {
      auto reply = reader_->next();
      if (!reply) break;
      deliver(std::move(*reply));
    }
    if (reader_->failed()) {
      spdlog::error("event=redis_protocol_error endpoint={} error=\"{}\"", describe(endpoint_), reader_->error());
      close_with(layer_errc::protocol_error);
      co_return;
    }
    if (reconnect_wanted_) {
      reconnect_wanted_ = false;
      spdlog::warn("event=redis_readonly endpoint={} action=reconnect", describe(endpoint_));
      close_with(layer_errc::redis_error);
      co_return;
    }
  }
}

awaitable<void>
resp_connection::write_loop(std::uint64_t generation)
{
  auto self = shared_from_this();
  auto const stream = tls_;  // this connection's, kept alive until its write returns
  std::string sending;
  while (connected_ && generation_ == generation) {
    if (outbox_.empty()) {
      write_wakeup_.expires_at(asio::steady_timer::time_point::max());
      error_code ec;
      co_await write_wakeup_.async_wait(as_value(ec));  // cancelled by exchange() and close_with()
      continue;
    }
    sending.clear();
    std::swap(sending, outbox_);
    error_code ec;
    if (stream)
      co_await asio::async_write(*stream, asio::buffer(sending), as_value(ec));
    else
      co_await asio::async_write(socket_, asio::buffer(sending), as_value(ec));
    if (generation_ != generation) co_return;
    if (ec) {
      close_with(ec);
      co_return;
    }
  }
}

void
resp_connection::deliver(resp_value value)
{
  if (waiting_.empty()) {
    close_with(layer_errc::protocol_error);  // a reply nobody asked for: the stream is out of step
    return;
  }
  // A failover turned this server into a replica: every write will fail until we reconnect
  // (to the new primary, when a proxy or DNS moved the address).
  if (value.is_error() && value.str.starts_with("READONLY")) reconnect_wanted_ = true;
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
  bool const was_ready = ready_;
  connected_ = false;
  ready_ = false;
  error_code ignored;
  socket_.close(ignored);
  outbox_.clear();
  write_wakeup_.cancel();
  for (auto& pending : waiting_) {
    pending->ec = ec;
    pending->done = true;
    pending->signal.cancel();
  }
  waiting_.clear();
  closed_signal_.cancel();
  if (ec != layer_errc::stopped)
    spdlog::warn("event=redis_connection_lost endpoint={} error=\"{}\"", describe(endpoint_), ec.message());
  if (was_ready && on_disconnect_) on_disconnect_();
}

}  // namespace tandem::layer
