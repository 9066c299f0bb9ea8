// The transport half of a browser socket, with no chat in it: an outbound queue bounded in
// frames and bytes, one writer coroutine (frames, pings and the close all go through it, so at
// most one write is ever in flight on the stream; it runs only while there is something to
// write, so an idle socket holds none), server pings with a pong deadline (a plain
// timer callback, not a coroutine: an idle socket's frames and pending waits are most of its
// memory), the close
// handshake with a grace period, and finish() run exactly once. The application half
// (websocket_session) decides what goes into the queue and what inbound frames mean.
//
// A template over the stream under the WebSocket layer so the tests can put a stream that
// delays, splits and fails writes under it (tests/cpp/net); production uses the bare TCP socket.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/container/deque.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "asio/asio.hpp"
#include "asio/supervised_spawn.hpp"
#include "core/error.hpp"
#include "ops/metrics.hpp"

namespace tandem::net {

struct transport_settings {
  std::size_t queue_frames = 256;       // outbound_queue_frames
  std::size_t queue_bytes = 1 << 20;    // outbound_queue_bytes
  std::chrono::milliseconds ping_interval{30000};
  std::chrono::milliseconds handshake_timeout{10000};
  /// How long a closing socket may take to flush and close before the connection is cut.
  std::chrono::milliseconds close_grace{3000};
  /// Pings in a row without a pong (or any other frame) after which the peer is gone (1001).
  int missed_pongs_allowed = 2;
  /// permessage-deflate may be negotiated: read() then reads each message whole (see there).
  bool compressed = false;
};

/// Bytes of a client message read into the transport's own array (ws_transport::read): the
/// frames browsers send most (receipts, typing, a short message) fit whole.
inline constexpr std::size_t first_bytes_size = 256;

/// One frame read from the peer, or the end of reading.
struct inbound_message {
  std::string text;
  bool is_text = true;
};

template <typename NextLayer>
class ws_transport {
 public:
  using stream_type = boost::beast::websocket::stream<NextLayer>;

  /// `finished` runs once, from finish(): the application's own cleanup.
  ws_transport(NextLayer next, transport_settings settings, ops::thread_metrics& metrics, std::string connection_id,
               std::function<void()> finished)
      : ws_{std::move(next)},
        settings_{settings},
        metrics_{metrics},
        conn_{std::move(connection_id)},
        finished_hook_{std::move(finished)},
        timer_{ws_.get_executor()}
  {
  }
  ws_transport(ws_transport const&) = delete;
  ws_transport& operator=(ws_transport const&) = delete;

  stream_type& stream() noexcept { return ws_; }
  auto get_executor() { return ws_.get_executor(); }
  /// Accepted and neither closing nor finished: frames may still be queued.
  bool open() const noexcept { return open_ && !close_code_ && !finished_; }
  bool closing() const noexcept { return close_code_.has_value(); }
  bool finished() const noexcept { return finished_; }
  std::size_t queued_frames() const noexcept { return queue_.size(); }
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }
  /// Heap the transport's reads hold (the memory-per-socket tests watch it): none between
  /// messages, nor while waiting for one.
  std::size_t read_buffer_capacity() const noexcept { return read_buffer_.capacity(); }

  /// Completes the upgrade. Beast's own timer covers the handshake and the close; pings are
  /// ours (ping_loop), so Beast's idle timeout and keep-alive pings are off.
  awaitable<bool> accept(boost::beast::http::request<boost::beast::http::string_body> const& request)
  {
    namespace websocket = boost::beast::websocket;
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = settings_.handshake_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(boost::beast::http::field::server, "tandem-sidecar"); }));
    ws_.control_callback([this](websocket::frame_type kind, boost::beast::string_view) {
      if (kind == websocket::frame_type::pong) missed_pongs_ = 0;
    });
    error_code ec;
    co_await ws_.async_accept(request, as_value(ec));
    if (ec) {
      spdlog::info("event=ws_accept_failed conn={} error=\"{}\"", conn_, ec.message());
      co_return false;
    }
    open_ = true;
    co_return true;
  }

  /// The next frame from the peer; nothing once reading has ended (closed, reset, too big).
  /// While closing, what the peer still sends is read and dropped here.
  awaitable<std::optional<inbound_message>> read()
  {
    namespace websocket = boost::beast::websocket;
    for (;;) {
      error_code ec;
      // A message's first bytes land in first_bytes_, the transport's own: Beast's async_read
      // prepares its whole read size (1.5 KB) in the buffer before any byte arrives, and every
      // idle socket waits here. Most client frames (receipts, typing, short sends) fit whole;
      // a longer one's rest is read into read_buffer_, which is released once it is handed over.
      //
      // Not with permessage-deflate: Boost 1.74's Beast fails a compressed message when the
      // caller's buffer fills just as the inflater has taken the message's last input
      // (partial_deflate_block, boostorg/beast#3028, fixed in later releases), and a small first
      // buffer would bring that to messages of 257 bytes. A whole-message read meets it only past
      // 1,536 bytes (docs/configuration.md, permessage_deflate).
      std::size_t first = 0;
      if (settings_.compressed) {
        co_await ws_.async_read(read_buffer_, as_value(ec));
      } else {
        first = co_await ws_.async_read_some(asio::buffer(first_bytes_), as_value(ec));
        if (!ec && !ws_.is_message_done()) co_await ws_.async_read(read_buffer_, as_value(ec));
      }
      if (ec) {
        release_read_buffer();
        if (ec == websocket::error::message_too_big) {
          metrics_.count_error(core::error_code::frame_too_large);
          spdlog::info("event=ws_message_too_big conn={}", conn_);
        } else if (ec != websocket::error::closed && ec != asio::error::operation_aborted) {
          spdlog::debug("event=ws_read_ended conn={} error=\"{}\"", conn_, ec.message());
        }
        co_return std::nullopt;
      }
      missed_pongs_ = 0;  // any frame shows the peer is there
      metrics_.messages_in.fetch_add(1, std::memory_order_relaxed);
      if (close_code_) {
        release_read_buffer();
        continue;
      }
      auto const rest = read_buffer_.data();
      inbound_message message{std::string{}, ws_.got_text()};
      message.text.reserve(first + rest.size());
      message.text.append(first_bytes_.data(), first);
      message.text.append(static_cast<char const*>(rest.data()), rest.size());
      release_read_buffer();
      co_return message;
    }
  }

  /// Queues a text frame. A frame that would take the queue past its budget (frames or bytes)
  /// closes the socket with 1013 instead: a reader that slow would make us buffer without
  /// bound; it resyncs when it reconnects. The buffer may be shared with other sockets (a
  /// group message): it is never written to, and the writer holds its own reference to it
  /// for as long as the write lasts.
  void enqueue(std::shared_ptr<std::string const> frame)
  {
    if (!open()) return;
    if (queue_.size() + 1 > settings_.queue_frames || queued_bytes_ + frame->size() > settings_.queue_bytes) {
      metrics_.slow_reader_closes.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("event=slow_reader_closed conn={} queued_frames={} queued_bytes={}", conn_, queue_.size(),
                   queued_bytes_);
      queue_.clear();
      queued_bytes_ = 0;
      close_soon(boost::beast::websocket::close_code::try_again_later, "outbound queue overflow");
      return;
    }
    queued_bytes_ += frame->size();
    queue_.push_back(std::move(frame));
    wake_writer();
  }
  void enqueue(std::string frame)
  {
    if (open()) enqueue(std::make_shared<std::string const>(std::move(frame)));
  }

  /// Flushes what is queued, then closes with `code`. If the peer stops reading, neither the
  /// queue nor the close frame can leave: the connection is cut after close_grace instead.
  void close_soon(std::uint16_t code, std::string reason)
  {
    if (close_code_ || finished_) return;
    close_code_ = code;
    close_reason_ = std::move(reason);
    // The pings' timer becomes the close deadline: a closing socket sends no more pings, and
    // one timer fewer per socket is memory (goal W1). Re-arming it cancels the ping's wait.
    timer_.expires_after(settings_.close_grace);
    timer_.async_wait([this, alive = std::weak_ptr<bool>{alive_}](error_code ec) {
      if (ec || alive.expired() || finished_) return;
      spdlog::info("event=ws_close_timed_out conn={}", conn_);
      cut();
    });
    wake_writer();
  }

  /// From now on a queued frame, a due ping or the close starts the writer (at once if one
  /// waits already). `owner` owns this transport: the writer holds it alive while it runs.
  void start_writer(std::weak_ptr<void> owner)
  {
    owner_ = std::move(owner);
    wake_writer();
  }
  /// The writer coroutine exists now (an idle socket has none).
  bool writing() const noexcept { return writer_ == writer_state::running; }

  /// A ping every ping_interval through the writer; a peer that answers none of
  /// missed_pongs_allowed + 1 in a row is closed with 1001. Runs on the timer alone (no
  /// coroutine), independent of the writer, so a write stuck on a peer that reads nothing
  /// still ends in the close and its deadline.
  void start_pings()
  {
    // Once closing, the timer is the close deadline's (close_soon): never re-armed for a ping.
    if (close_code_ || finished_) return;
    timer_.expires_after(settings_.ping_interval);
    timer_.async_wait([this, alive = std::weak_ptr<bool>{alive_}](error_code ec) {
      if (ec || alive.expired() || finished_ || close_code_) return;
      if (++missed_pongs_ > settings_.missed_pongs_allowed) {
        spdlog::info("event=ws_peer_unresponsive conn={}", conn_);
        close_soon(boost::beast::websocket::close_code::going_away, "no pong");
        return;
      }
      ping_due_ = true;
      wake_writer();
      start_pings();
    });
  }

  /// Ends the socket: timers cancelled, the connection closed (a running writer's write then
  /// fails and it ends; no new one starts), and the application's cleanup run. Idempotent:
  /// only the first call does anything.
  void finish()
  {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    if (finished_hook_) finished_hook_();
    if (!open_) return;
    open_ = false;
    cut();
  }

  /// Calls finish() when it goes out of scope however that happens (normal return, an
  /// exception, a destroyed coroutine frame), unless `skip` says the owner's world is being
  /// torn down (the hub and layer the cleanup uses may already be gone).
  class finish_guard {
   public:
    explicit finish_guard(ws_transport& transport, bool const* skip = nullptr) : transport_{transport}, skip_{skip} {}
    ~finish_guard()
    {
      if (!skip_ || !*skip_) transport_.finish();
    }
    finish_guard(finish_guard const&) = delete;
    finish_guard& operator=(finish_guard const&) = delete;

   private:
    ws_transport& transport_;
    bool const* skip_;
  };

 private:
  enum class writer_state : std::uint8_t { idle, running, ended };

  bool writer_has_work() const noexcept { return !queue_.empty() || close_code_.has_value() || ping_due_; }

  /// Starts the writer if it is not running and has something to do. Not after the socket
  /// finished (the connection is cut), nor after the close went out or a write failed (the
  /// stream takes no more writes).
  void wake_writer()
  {
    if (writer_ != writer_state::idle || finished_ || !writer_has_work()) return;
    auto owner = owner_.lock();
    if (!owner) return;  // start_writer not called yet (it wakes the writer itself), or owner gone
    writer_ = writer_state::running;
    spawn(ws_.get_executor(), "ws_write_loop", write_loop(std::move(owner)), [this, owner = owner_] {
      // A writer that threw leaves the socket half-served: finish it (as a failed part does).
      if (owner.expired()) return;
      writer_ = writer_state::ended;
      finish();
    });
  }

  /// The single writer: frames in order, then the close; pings between frames. Ends when none
  /// of them is left (wake_writer starts it again); `keep_alive` holds the transport's owner
  /// for as long as it runs.
  awaitable<void> write_loop([[maybe_unused]] std::shared_ptr<void> keep_alive)
  {
    namespace websocket = boost::beast::websocket;
    for (;;) {
      if (!queue_.empty()) {
        auto frame = queue_.front();  // ours until the write completes, whatever the queue does
        error_code ec;
        ws_.text(true);
        co_await ws_.async_write(asio::buffer(*frame), as_value(ec));
        // An overflow may have emptied the queue meanwhile; the same shared buffer may also be
        // queued twice (one group message for two of the socket's groups), so compare the front.
        if (!queue_.empty() && queue_.front() == frame) {
          queued_bytes_ -= frame->size();
          queue_.pop_front();
        }
        // An idle socket keeps no queue storage (a deque block is 512 bytes).
        if (queue_.empty()) queue_.shrink_to_fit();
        if (ec) break;
        metrics_.messages_out.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (close_code_) {
        error_code ec;
        websocket::close_reason reason;
        reason.code = *close_code_;
        reason.reason = close_reason_.substr(0, reason.reason.max_size());
        co_await ws_.async_close(reason, as_value(ec));
        break;
      }
      if (ping_due_) {
        ping_due_ = false;
        error_code ec;
        websocket::ping_data const payload;
        co_await ws_.async_ping(payload, as_value(ec));
        if (ec) break;
        continue;
      }
      // Nothing left to write: no coroutine waits on an idle socket.
      writer_ = writer_state::idle;
      co_return;
    }
    writer_ = writer_state::ended;
  }
  /// Only a message longer than first_bytes_ uses read_buffer_: no socket keeps its storage.
  void release_read_buffer()
  {
    read_buffer_.clear();
    read_buffer_.shrink_to_fit();
  }
  /// Closes the connection under the WebSocket layer at once (Beast's close_socket on the
  /// TCP socket; the tests' streams provide their own beast_close_socket).
  void cut() { boost::beast::close_socket(boost::beast::get_lowest_layer(ws_)); }

  stream_type ws_;
  transport_settings settings_;
  ops::thread_metrics& metrics_;
  std::string conn_;
  std::function<void()> finished_hook_;
  /// A message's first bytes (its whole text for most client frames): see read().
  std::array<char, first_bytes_size> first_bytes_{};
  /// The rest of a message longer than first_bytes_; empty between messages.
  boost::beast::flat_buffer read_buffer_;
  /// Boost's deque: an empty one holds no heap (libstdc++'s allocates 576 bytes up front).
  boost::container::deque<std::shared_ptr<std::string const>> queue_;
  std::size_t queued_bytes_ = 0;
  /// Whoever owns this transport (start_writer); each run of the writer holds it alive.
  std::weak_ptr<void> owner_;
  writer_state writer_ = writer_state::idle;
  /// The next ping until the socket is closing, then the close deadline (close_grace).
  asio::steady_timer timer_;
  int missed_pongs_ = 0;
  bool ping_due_ = false;
  std::optional<std::uint16_t> close_code_;
  std::string close_reason_;
  bool open_ = false;
  bool finished_ = false;
  /// The close deadline's handler may outlive this transport (its timer is cancelled in the
  /// destructor, but a completion already queued still runs): it checks this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tandem::net
