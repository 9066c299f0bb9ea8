// One reader and one writer coroutine per connection; a broadcast builds its frame once and
// hands the same shared buffer to every connection's queue, posted to the connection's own I/O
// thread (Beast streams are not thread-safe). The registry of connections is process-wide
// because the shootout's broadcast reaches every connection of the endpoint, whichever thread
// accepted it; it only exists while the bench-only endpoint is in use.
//
// Bench-only is no reason to trust the peer: a connection's queue is capped like a chat socket's
// (outbound_queue_frames/bytes; a peer reading slower than that is closed with 1013), and each
// connection's broadcasts are rate limited, so one peer cannot grow the process without bound.
#include "net/shootout_session.hpp"

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "asio/supervised_spawn.hpp"
#include "core/token_bucket.hpp"
#include "net/server_settings.hpp"
#include "net/stream_options.hpp"

namespace tandem::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using shared_frame = std::shared_ptr<std::string const>;

namespace {

/// How long a closing connection may take to let its queue and close frame leave before the
/// TCP connection is cut (a peer that stopped reading never takes them), as for chat sockets.
constexpr std::chrono::seconds close_grace{3};

core::unix_ms
steady_ms()
{
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

class shootout_connection : public std::enable_shared_from_this<shootout_connection> {
 public:
  shootout_connection(beast::tcp_stream stream, server_settings const& settings)
      : ws_{std::move(stream)},
        wakeup_{ws_.get_executor()},
        close_deadline_{ws_.get_executor()},
        max_frames_{settings.outbound_queue_frames},
        max_bytes_{settings.outbound_queue_bytes},
        broadcasts_{settings.shootout_broadcast_rate, settings.shootout_broadcast_burst, steady_ms()}
  {
  }

  websocket::stream<beast::tcp_stream>& ws() { return ws_; }

  /// From any thread: queue `frame` on this connection's own thread.
  void deliver(shared_frame frame)
  {
    asio::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
      self->enqueue(std::move(frame));
    });
  }

  /// On the connection's thread. Over the queue's cap the connection is closed with 1013 and
  /// its queue freed: the peer is not reading what it asked for (or what is broadcast).
  void enqueue(shared_frame frame)
  {
    if (closed_ || closing_) return;
    if (queue_.size() + 1 > max_frames_ || queued_bytes_ + frame->size() > max_bytes_) {
      spdlog::warn("event=shootout_slow_reader_closed queued_frames={} queued_bytes={}", queue_.size(), queued_bytes_);
      queue_.clear();
      queued_bytes_ = 0;
      close_soon();
      return;
    }
    queued_bytes_ += frame->size();
    queue_.push_back(std::move(frame));
    wakeup_.cancel();
  }

  /// On the connection's thread: whether this connection may broadcast now (token bucket).
  bool may_broadcast() { return broadcasts_.try_take(steady_ms()); }

  bool closing() const noexcept { return closing_ || closed_; }

  void close()
  {
    closed_ = true;
    close_deadline_.cancel();
    wakeup_.cancel();
  }

  awaitable<void> write_loop()
  {
    auto self = shared_from_this();
    while (!closed_) {
      if (queue_.empty()) {
        if (closing_) {
          error_code ignored;
          co_await ws_.async_close(websocket::close_reason{websocket::close_code::try_again_later, "outbound queue overflow"},
                                   as_value(ignored));
          break;
        }
        wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
        error_code ignored;
        co_await wakeup_.async_wait(as_value(ignored));
        continue;
      }
      shared_frame frame = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= frame->size();
      error_code ec;
      ws_.text(true);
      co_await ws_.async_write(asio::buffer(*frame), as_value(ec));
      if (ec) break;
    }
  }

 private:
  void close_soon()
  {
    closing_ = true;
    // The writer may be stuck behind a full socket buffer: cut the connection after the grace
    // period (tcp_stream's expiry does not apply while a read and a write are both pending).
    close_deadline_.expires_after(close_grace);
    close_deadline_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->closed_) return;
      error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
    });
    wakeup_.cancel();
  }

  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer wakeup_;
  asio::steady_timer close_deadline_;
  std::deque<shared_frame> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t max_frames_;
  std::size_t max_bytes_;
  core::token_bucket broadcasts_;
  bool closing_ = false;  // over the cap: the close frame goes out once the writer is free
  bool closed_ = false;
};

class shootout_registry {
 public:
  static shootout_registry& process()
  {
    static shootout_registry registry;
    return registry;
  }

  void add(std::shared_ptr<shootout_connection> const& c)
  {
    std::lock_guard lock{mutex_};
    members_.insert(c);
  }

  void remove(std::shared_ptr<shootout_connection> const& c)
  {
    std::lock_guard lock{mutex_};
    members_.erase(c);
  }

  std::size_t size()
  {
    std::lock_guard lock{mutex_};
    return members_.size();
  }

  /// Every member now (copied, so delivering does not hold the lock).
  std::vector<std::shared_ptr<shootout_connection>> snapshot()
  {
    std::lock_guard lock{mutex_};
    return {members_.begin(), members_.end()};
  }

 private:
  std::mutex mutex_;
  std::unordered_set<std::shared_ptr<shootout_connection>> members_;
};

shared_frame
frame_of(std::string_view type, nlohmann::json const& payload)
{
  return std::make_shared<std::string const>(nlohmann::json{{"type", type}, {"payload", payload}}.dump());
}

/// The answer to one client frame on `self`; broadcasts reach every member first.
void
handle(std::shared_ptr<shootout_connection> const& self, std::string text)
{
  if (self->closing()) return;  // closed for reading too slowly: nothing more is owed
  auto message = nlohmann::json::parse(text, nullptr, false);
  if (message.is_discarded() || !message.is_object() || !message.contains("type") || !message["type"].is_string()) {
    self->enqueue(std::make_shared<std::string const>(R"({"type":"error","message":"expected a JSON object with a type"})"));
    return;
  }
  auto const& type = message["type"].get_ref<std::string const&>();
  nlohmann::json const payload = message.contains("payload") ? message["payload"] : nlohmann::json{};
  if (type == "echo") {
    self->enqueue(std::make_shared<std::string const>(std::move(text)));
  } else if (type == "broadcast" && !self->may_broadcast()) {
    // Each broadcast costs a frame for every connection: a connection past its rate gets no
    // fan-out, only this answer.
    self->enqueue(std::make_shared<std::string const>(R"({"type":"error","message":"rate_limited"})"));
  } else if (type == "broadcast") {
    auto const frame = frame_of("broadcast", payload);  // one buffer, shared by every recipient
    for (auto const& member : shootout_registry::process().snapshot()) member->deliver(frame);
    self->deliver(frame_of("broadcastResult", payload));  // posted: arrives after its own broadcast
  } else {
    self->enqueue(std::make_shared<std::string const>(R"({"type":"error","message":"unknown type"})"));
  }
}

}  // namespace

std::size_t
shootout_connections()
{
  return shootout_registry::process().size();
}

awaitable<void>
serve_shootout(server_settings const& settings, beast::tcp_stream stream,
               beast::http::request<beast::http::string_body> request)
{
  auto connection = std::make_shared<shootout_connection>(std::move(stream), settings);
  auto& ws = connection->ws();
  prepare_plain_endpoint(ws, settings);

  error_code ec;
  co_await ws.async_accept(request, as_value(ec));
  if (ec) co_return;
  auto& registry = shootout_registry::process();
  registry.add(connection);
  spawn(ws.get_executor(), "shootout_writer", connection->write_loop());
  beast::flat_buffer buffer;
  for (;;) {
    co_await ws.async_read(buffer, as_value(ec));
    if (ec) break;  // closed by the peer, or failed by Beast with the close code RFC 6455 asks for
    handle(connection, beast::buffers_to_string(buffer.data()));
    buffer.consume(buffer.size());
  }
  registry.remove(connection);
  connection->close();
  spdlog::debug("event=shootout_closed error=\"{}\"", ec.message());
}

}  // namespace tandem::net
