// The socket's life: upgrade → join groups → hello → frames ↔ events → close → leave groups.
// Every loop runs on the worker's single-threaded io_context, so state needs no locks.
#include "net/websocket_session.hpp"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <random>

#include "asio/supervised_spawn.hpp"
#include "net/io_worker.hpp"
#include "net/stream_options.hpp"
#include "protocol/client_frames.hpp"
#include "protocol/event_frames.hpp"

namespace tandem::net {

namespace beast = boost::beast;

namespace {

std::minstd_rand&
jitter_source()
{
  thread_local std::minstd_rand source{std::random_device{}()};
  return source;
}

/// Consecutive refused messages after which a flooding client is disconnected (1008).
constexpr int flood_disconnect_after = 100;
/// How long a closing socket may take to flush and close before the TCP connection is cut.
constexpr std::chrono::seconds close_grace{3};
/// Frames read ahead of the one being handled; beyond it the socket stops reading (TCP
/// pushes back on the client) until the handler catches up.
constexpr std::size_t inbound_capacity = 64;

/// Runs a session's finish() however run() ends: normally, by an exception, or by the frame
/// being destroyed. Not while the worker is being torn down (the hub and layer may be gone).
class finish_guard {
 public:
  finish_guard(io_worker& worker, std::function<void()> finish) : worker_{worker}, finish_{std::move(finish)} {}
  ~finish_guard()
  {
    if (!worker_.tearing_down) finish_();
  }
  finish_guard(finish_guard const&) = delete;
  finish_guard& operator=(finish_guard const&) = delete;

 private:
  io_worker& worker_;
  std::function<void()> finish_;
};

}  // namespace

websocket_session::websocket_session(io_worker& worker, beast::tcp_stream stream, socket_identity identity)
    : worker_{worker},
      ws_{std::move(stream)},
      identity_{std::move(identity)},
      inbound_ready_{ws_.get_executor()},
      inbound_room_{ws_.get_executor()},
      writer_wakeup_{ws_.get_executor()},
      ping_timer_{ws_.get_executor()},
      recheck_timer_{ws_.get_executor()},
      close_deadline_{ws_.get_executor()},
      bucket_{worker.process.settings.rate_per_second, worker.process.settings.rate_burst, worker.clock.steady_ms()},
      typing_timer_{ws_.get_executor()}
{
}

void
websocket_session::start(http::request<http::string_body> request)
{
  spawn(ws_.get_executor(), "ws_session", run(shared_from_this(), std::move(request)));
}

void
websocket_session::spawn_part(std::string_view name, awaitable<void> part)
{
  spawn(ws_.get_executor(), name, std::move(part), [weak = weak_from_this()] {
    // A part that failed leaves the socket half-served: finish it now (idempotent; run() may
    // be parked where nothing else would wake it).
    if (auto self = weak.lock()) self->finish();
  });
}

awaitable<void>
websocket_session::run(std::shared_ptr<websocket_session> self, http::request<http::string_body> request)
{
  // `self` (a coroutine parameter, so it lives in the frame) keeps the session alive: the
  // spawn is deferred and the creator's pointer is gone by the time this runs.
  finish_guard const guard{worker_, [this] { finish(); }};
  auto const& settings = worker_.process.settings;
  apply_message_limits(ws_, settings);
  // Beast's own timer covers the handshake and the close; pings are ours (ping_loop).
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = settings.handshake_timeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "tandem-sidecar"); }));
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) missed_pongs_ = 0;
  });
  beast::get_lowest_layer(ws_).expires_never();

  error_code ec;
  co_await ws_.async_accept(request, as_value(ec));
  if (ec) {
    spdlog::info("event=ws_accept_failed conn={} error=\"{}\"", identity_.connection_id, ec.message());
    co_return;
  }
  open_ = true;
  channel_ = worker_.layer->new_channel();
  worker_.hub.add(channel_, weak_from_this());
  worker_.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
  worker_.metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("event=ws_open conn={} user={} path={} channel={}", identity_.connection_id, identity_.user_id,
               identity_.path, channel_);

  spawn_part("ws_write_loop", write_loop(self));
  // A drain that began while this socket was being verified or upgraded found it in no hub:
  // it learns of the drain here, in the same turn as it joined the hub.
  if (worker_.process.draining.load()) {
    close_soon(websocket::close_code::service_restart, "service restart");
  } else if (!co_await join_groups()) {
    close_soon(websocket::close_code::try_again_later, "groups could not be joined");
  } else {
    enqueue(protocol::hello_frame({identity_.user_id, identity_.chat_id, identity_.connection_id,
                                   std::chrono::duration<double>(settings.ping_interval).count()}));
    greeted_ = true;
    for (auto const& early : std::exchange(early_events_, {})) deliver(early);
    spawn_part("ws_ping_loop", ping_loop(self));
    spawn_part("ws_recheck_loop", recheck_loop(self));
    spawn_part("ws_typing_loop", typing_loop(self));
    co_await announce_and_snapshot();
  }
  spawn_part("ws_handle_loop", handle_loop(self));
  co_await read_loop();
}

awaitable<bool>
websocket_session::join_groups()
{
  auto const groups = co_await groups_to_join();
  if (!groups) co_return false;
  for (auto const& group : *groups) {
    auto const status = co_await worker_.layer->group_add(group, channel_);
    if (status != layer::send_status::ok) {
      spdlog::warn("event=group_add_failed conn={} group={} status={}", identity_.connection_id, group,
                   layer::send_status_name(status));
      co_return false;
    }
  }
  co_return true;
}

awaitable<void>
websocket_session::read_loop()
{
  for (;;) {
    read_buffer_.clear();
    error_code ec;
    co_await ws_.async_read(read_buffer_, as_value(ec));
    if (ec) {
      if (ec == websocket::error::message_too_big) {
        worker_.metrics.count_error(core::error_code::frame_too_large);
        spdlog::info("event=ws_message_too_big conn={}", identity_.connection_id);
      } else if (ec != websocket::error::closed && ec != asio::error::operation_aborted) {
        spdlog::debug("event=ws_read_ended conn={} error=\"{}\"", identity_.connection_id, ec.message());
      }
      co_return;
    }
    missed_pongs_ = 0;
    worker_.metrics.messages_in.fetch_add(1, std::memory_order_relaxed);
    if (close_code_) continue;  // closing: what the client still sends is read and ignored
    if (!ws_.got_text()) {
      send_error(core::error_code::bad_frame, "binary frames are not part of the protocol", std::nullopt);
      continue;
    }
    std::string text = beast::buffers_to_string(read_buffer_.data());
    // Parsed before the rate check so a refused "send" names its client_id: the client then
    // knows which message to retry after retry_after.
    auto parsed = protocol::parse_client_frame(text, worker_.process.settings.max_frame_depth);
    auto const now = worker_.clock.steady_ms();
    if (!bucket_.try_take(now)) {
      if (++refused_in_a_row_ >= flood_disconnect_after) {
        close_soon(websocket::close_code::policy_error, "flooding");
        continue;
      }
      auto const wait_s = static_cast<double>(bucket_.wait_ms(now)) / 1000.0;
      send_error(core::error_code::rate_limited, {}, parsed.ref, wait_s);
      continue;
    }
    refused_in_a_row_ = 0;
    inbound_.push_back({std::move(text), std::move(parsed)});
    inbound_ready_.cancel();
    while (inbound_.size() >= inbound_capacity && !finished_) {
      inbound_room_.expires_at(std::chrono::steady_clock::time_point::max());
      error_code wait_ec;
      co_await inbound_room_.async_wait(as_value(wait_ec));
    }
  }
}

awaitable<void>
websocket_session::handle_loop([[maybe_unused]] std::shared_ptr<websocket_session> self)
{
  while (!finished_) {
    if (inbound_.empty()) {
      inbound_ready_.expires_at(std::chrono::steady_clock::time_point::max());
      error_code ec;
      co_await inbound_ready_.async_wait(as_value(ec));  // cancelled by read_loop and finish()
      continue;
    }
    auto frame = std::move(inbound_.front());
    inbound_.pop_front();
    inbound_room_.cancel();
    if (close_code_) continue;
    co_await handle_text(std::move(frame.text), std::move(frame.parsed));
  }
}

awaitable<void>
websocket_session::handle_text(std::string text, protocol::frame_parse parsed)
{
  if (!parsed.frame) {
    send_error(parsed.error, parsed.detail, parsed.ref);
    co_return;
  }
  if (parsed.frame->type == "ping") {
    enqueue(protocol::pong_frame(parsed.frame->ref));
    co_return;
  }
  if (protocol::is_chat_request_type(parsed.frame->type)) {
    co_await handle_chat(*parsed.frame);
    co_return;
  }
  co_await forward_to_bridge(parsed.frame->type, std::move(parsed.frame->ref), text);
}

awaitable<void>
websocket_session::forward_to_bridge(std::string type, std::optional<std::string> ref, std::string_view text)
{
  auto const& bridge = worker_.process.settings.bridge_channel;
  if (bridge.empty()) {
    send_error(core::error_code::unknown_type, type, ref);
    co_return;
  }
  auto const& settings = worker_.process.settings;
  if (auto const wait = worker_.process.limits.take_bridge_token(identity_.user_id, settings.bridge_rate_per_second,
                                                                 settings.bridge_burst, worker_.clock.steady_ms())) {
    send_error(core::error_code::rate_limited, "bridge", ref, static_cast<double>(*wait) / 1000.0);
    co_return;
  }
  // Parsed again as an ordered value (Python peers see the keys in the client's order) and
  // moved, never copied, into the event: parse_client_frame already bounded its depth, and
  // nlohmann's parser and destructor use heap stacks, so no step here recurses per level.
  auto frame = layer::message::parse(text, nullptr, false);
  if (frame.is_discarded()) {
    send_error(core::error_code::bad_frame, {}, ref);
    co_return;
  }
  layer::message event = layer::message::object();
  event["type"] = "tandem.client_frame";
  event["frame"] = std::move(frame);
  event["user_id"] = identity_.user_id;
  event["chat_id"] = identity_.chat_id ? layer::message(*identity_.chat_id) : layer::message(nullptr);
  event["path"] = identity_.path;
  event["reply_channel"] = channel_;
  auto const started = worker_.clock.steady_now();
  auto const status = co_await worker_.layer->send(bridge, std::move(event));
  worker_.metrics.observe_layer_latency(std::chrono::duration<double>(worker_.clock.steady_now() - started).count());
  if (status == layer::send_status::ok) {
    worker_.metrics.bridge_forwards.fetch_add(1, std::memory_order_relaxed);
  } else if (status == layer::send_status::invalid_message || status == layer::send_status::invalid_name) {
    send_error(core::error_code::invalid_field, "the frame cannot travel on the channel layer", ref);
  } else {
    send_error(core::error_code::layer_unavailable, {}, ref, 1.0);
  }
}

void
websocket_session::deliver(layer::message const& event)
{
  deliver(event, decoded_event{event});
}

void
websocket_session::deliver(layer::message const& event, decoded_event const& decoded)
{
  if (!open_ || close_code_) return;
  if (!greeted_) {
    if (early_events_.size() < worker_.process.settings.outbound_queue_frames) early_events_.push_back(event);
    else worker_.metrics.layer_events_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto const& action = decoded.action;
  // Events of a chat the user left, already on their way when the group was left, stop here.
  if (action.what != protocol::event_action::kind::membership && about_a_left_chat(event)) return;
  if ((action.what == protocol::event_action::kind::send_text || action.what == protocol::event_action::kind::chat_message) &&
      action.text.size() > worker_.process.settings.outbound_queue_bytes) {
    // It could never fit in the queue: refuse the event, not the reader (who is not slow).
    worker_.metrics.layer_events_oversized.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("event=layer_event_too_large conn={} bytes={} outbound_queue_bytes={}", identity_.connection_id,
                 action.text.size(), worker_.process.settings.outbound_queue_bytes);
    return;
  }
  switch (action.what) {
    case protocol::event_action::kind::send_text: enqueue(decoded.frame); break;
    case protocol::event_action::kind::chat_message: live_message(action, decoded.frame); break;
    case protocol::event_action::kind::typing: typing_event(event); break;
    case protocol::event_action::kind::presence: presence_event(event); break;
    case protocol::event_action::kind::membership: membership_changed(action.chat, action.member); break;
    case protocol::event_action::kind::close: close_soon(action.close_code, "closed by the server application"); break;
    case protocol::event_action::kind::drop:
      worker_.metrics.layer_events_dropped.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("event=layer_event_dropped conn={} reason=\"{}\"", identity_.connection_id, action.text);
      break;
  }
}

void
websocket_session::resync_hint(std::string_view reason)
{
  if (!open_ || close_code_ || !greeted_) return;  // before hello: the client syncs after it anyway
  enqueue(protocol::resync_frame(reason));
}

void
websocket_session::send_error(core::error_code code, std::string_view detail, std::optional<std::string> const& ref,
                              std::optional<double> retry_after_s)
{
  worker_.metrics.count_error(code);
  enqueue(protocol::error_frame(code, detail, ref, retry_after_s));
}

void
websocket_session::enqueue(std::string frame)
{
  if (!open_ || close_code_) return;
  enqueue(std::make_shared<std::string const>(std::move(frame)));
}

void
websocket_session::enqueue(std::shared_ptr<std::string const> frame)
{
  if (!open_ || close_code_) return;
  auto const& settings = worker_.process.settings;
  if (queue_.size() + 1 > settings.outbound_queue_frames || queued_bytes_ + frame->size() > settings.outbound_queue_bytes) {
    // A reader this slow would make us buffer without bound: drop it (it resyncs on reconnect).
    worker_.metrics.slow_reader_closes.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("event=slow_reader_closed conn={} queued_frames={} queued_bytes={}", identity_.connection_id,
                 queue_.size(), queued_bytes_);
    queue_.clear();
    queued_bytes_ = 0;
    close_soon(websocket::close_code::try_again_later, "outbound queue overflow");
    return;
  }
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  wake_writer();
}

void
websocket_session::close_soon(std::uint16_t code, std::string reason)
{
  if (close_code_ || finished_) return;
  close_code_ = code;
  close_reason_ = std::move(reason);
  // If the peer stops reading, neither the queue nor the close frame can leave: cut the TCP
  // connection after a grace period instead of waiting for ever. (tcp_stream's own expiry
  // cannot be used here: it does not apply while a read and a write are both pending.)
  close_deadline_.expires_after(close_grace);
  close_deadline_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->finished_) return;
    spdlog::info("event=ws_close_timed_out conn={}", self->identity_.connection_id);
    error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
  wake_writer();
}

void
websocket_session::wake_writer()
{
  writer_wakeup_.cancel();
}

awaitable<void>
websocket_session::write_loop([[maybe_unused]] std::shared_ptr<websocket_session> self)
{
  for (;;) {
    if (!queue_.empty()) {
      auto frame = queue_.front();
      error_code ec;
      ws_.text(true);
      co_await ws_.async_write(asio::buffer(*frame), as_value(ec));
      if (!queue_.empty() && queue_.front() == frame) {
        queued_bytes_ -= frame->size();
        queue_.pop_front();
      }
      if (ec) co_return;
      worker_.metrics.messages_out.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (close_code_) {
      error_code ec;
      websocket::close_reason reason;
      reason.code = *close_code_;
      reason.reason = close_reason_.substr(0, reason.reason.max_size());
      co_await ws_.async_close(reason, as_value(ec));
      co_return;
    }
    if (ping_due_) {
      ping_due_ = false;
      error_code ec;
      websocket::ping_data const payload;
      co_await ws_.async_ping(payload, as_value(ec));
      if (ec) co_return;
      continue;
    }
    if (finished_) co_return;
    writer_wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
    error_code ec;
    co_await writer_wakeup_.async_wait(as_value(ec));
  }
}

awaitable<void>
websocket_session::ping_loop([[maybe_unused]] std::shared_ptr<websocket_session> self)
{
  for (;;) {
    ping_timer_.expires_after(worker_.process.settings.ping_interval);
    error_code ec;
    co_await ping_timer_.async_wait(as_value(ec));
    if (ec || finished_ || close_code_) co_return;
    // Two pings in a row without a pong (or any other frame) means the peer is gone.
    if (++missed_pongs_ > 2) {
      spdlog::info("event=ws_peer_unresponsive conn={}", identity_.connection_id);
      close_soon(websocket::close_code::going_away, "no pong");
      co_return;
    }
    ping_due_ = true;
    wake_writer();
  }
}

awaitable<void>
websocket_session::recheck_loop([[maybe_unused]] std::shared_ptr<websocket_session> self)
{
  for (;;) {
    // ±10% jitter: sockets opened together (a deploy, a reconnect storm) do not all re-check
    // in the same second.
    auto const interval = worker_.process.settings.auth_recheck_interval;
    std::uniform_int_distribution<std::int64_t> spread{-interval.count() / 10, interval.count() / 10};
    recheck_timer_.expires_after(interval + std::chrono::milliseconds{spread(jitter_source())});
    error_code ec;
    co_await recheck_timer_.async_wait(as_value(ec));
    if (ec || finished_ || close_code_) co_return;
    auto verdict = co_await worker_.verifier.verify(identity_.cookie_header, true);
    // An outage (503) keeps the socket: only a definite "no" logs the user out.
    if (verdict.status == 401 || (verdict.allowed() && verdict.user_id != identity_.user_id)) {
      spdlog::info("event=ws_session_ended conn={} reason=\"{}\"", identity_.connection_id, verdict.reason);
      close_soon(4401, "session ended");
      co_return;
    }
    // A backstop for membership rows deleted without tandem.membership (e.g. by other code).
    if (identity_.chat_id && verdict.allowed()) {
      verdict = co_await worker_.verifier.check_participant(*identity_.chat_id, std::move(verdict));
      if (verdict.status == 403 && !finished_ && !close_code_) {
        spdlog::info("event=ws_membership_ended conn={} chat={}", identity_.connection_id, *identity_.chat_id);
        close_soon(4403, "no longer a member of the chat");
        co_return;
      }
    }
    if (!identity_.chat_id && verdict.allowed()) co_await recheck_notification_chats();
  }
}

void
websocket_session::finish()
{
  if (finished_) return;
  finished_ = true;
  ping_timer_.cancel();
  recheck_timer_.cancel();
  typing_timer_.cancel();
  close_deadline_.cancel();
  inbound_ready_.cancel();
  inbound_room_.cancel();
  inbound_.clear();
  wake_writer();
  worker_.process.limits.release(identity_.user_id);
  if (!open_) return;
  open_ = false;
  leave_presence_and_typing();
  worker_.hub.remove(channel_);
  worker_.layer->release_channel(channel_);
  worker_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
  spdlog::info("event=ws_closed conn={} user={}", identity_.connection_id, identity_.user_id);
  error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

}  // namespace tandem::net
