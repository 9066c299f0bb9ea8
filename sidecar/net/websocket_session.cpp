// The socket's life: upgrade → join groups → hello → frames ↔ events → close → leave groups.
// Every loop runs on the worker's single-threaded io_context, so state needs no locks. The wire
// side (queue, writer, pings, close) is the transport's (net/ws_transport.hpp).
#include "net/websocket_session.hpp"

#include <boost/beast/websocket/stream.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <random>
#include <utility>

#include "asio/supervised_spawn.hpp"
#include "auth/session_fingerprint.hpp"
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
/// Frames read ahead of the one being handled; beyond it the socket stops reading (TCP
/// pushes back on the client) until the handler catches up.
constexpr std::size_t inbound_capacity = 64;

transport_settings
transport_settings_of(server_settings const& settings)
{
  transport_settings out;
  out.queue_frames = settings.outbound_queue_frames;
  out.queue_bytes = settings.outbound_queue_bytes;
  out.ping_interval = settings.ping_interval;
  out.handshake_timeout = settings.handshake_timeout;
  out.compressed = settings.permessage_deflate;
  return out;
}

}  // namespace

websocket_session::websocket_session(io_worker& worker, beast::tcp_stream stream, socket_identity identity)
    : worker_{worker},
      identity_{std::move(identity)},
      transport_{stream.release_socket(), transport_settings_of(worker.process.settings), worker.metrics,
                 identity_.connection_id, [this] { finished(); }},
      inbound_room_{transport_.get_executor()},
      recheck_timer_{transport_.get_executor()},
      bucket_{worker.process.settings.rate_per_second, worker.process.settings.rate_burst, worker.clock.steady_ms()},
      typing_timer_{transport_.get_executor()}
{
}

void
websocket_session::start(http::request<http::string_body> request, upgrade_in_progress upgrading)
{
  spawn(transport_.get_executor(), "ws_session", run(shared_from_this(), std::move(request), std::move(upgrading)));
}

void
websocket_session::spawn_part(std::string_view name, awaitable<void> part)
{
  spawn(transport_.get_executor(), name, std::move(part), [weak = weak_from_this()] {
    // A part that failed leaves the socket half-served: finish it now (idempotent; run() may
    // be parked where nothing else would wake it).
    if (auto self = weak.lock()) self->finish();
  });
}

awaitable<void>
websocket_session::run(std::shared_ptr<websocket_session> self, http::request<http::string_body> request,
                       upgrade_in_progress upgrading)
{
  // `self` (a coroutine parameter, so it lives in the frame) keeps the session alive: the
  // spawn is deferred and the creator's pointer is gone by the time this runs.
  // finish() however run() ends (not while the worker is being torn down: the hub and layer
  // the cleanup uses may be gone).
  decltype(transport_)::finish_guard const guard{transport_, &worker_.tearing_down};
  auto const& settings = worker_.process.settings;
  apply_message_limits(transport_.stream(), settings);
  bool const accepted = co_await transport_.accept(request);
  // The upgrade request (its Cookie header among it) would otherwise live in this frame for
  // the socket's life.
  request = {};
  if (!accepted) co_return;
  channel_ = worker_.layer->new_channel();
  worker_.hub.add(channel_, weak_from_this());
  worker_.metrics.connections_open.fetch_add(1);
  upgrading.done();  // after the open count went up: a drain never sees neither
  worker_.metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("event=ws_open conn={} user={} path={} channel={}", identity_.connection_id, identity_.user_id,
               identity_.path, channel_);

  // The writer runs only while something waits to be written; it holds the session meanwhile.
  transport_.start_writer(self);
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
    transport_.start_pings();
    schedule_recheck();
    co_await announce_and_snapshot();
  }
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
  // Only the read and the wait for room live in this frame, which every idle socket keeps:
  // what a frame needs while it is checked (its parse among it) lives in take_frame's stack.
  for (;;) {
    auto inbound = co_await transport_.read();
    if (!inbound) co_return;
    take_frame(std::move(*inbound));
    while (inbound_.size() >= inbound_capacity && !finishing()) {
      inbound_room_.expires_at(std::chrono::steady_clock::time_point::max());
      error_code wait_ec;
      co_await inbound_room_.async_wait(as_value(wait_ec));
    }
  }
}

void
websocket_session::take_frame(inbound_message inbound)
{
  if (!inbound.is_text) {
    send_error(core::error_code::bad_frame, "binary frames are not part of the protocol", std::nullopt);
    return;
  }
  std::string text = std::move(inbound.text);
  // Parsed before the rate check so a refused "send" names its client_id: the client then
  // knows which message to retry after retry_after.
  auto parsed = protocol::parse_client_frame(text, worker_.process.settings.max_frame_depth);
  auto const now = worker_.clock.steady_ms();
  if (!bucket_.try_take(now)) {
    if (++refused_in_a_row_ >= flood_disconnect_after) {
      close_soon(websocket::close_code::policy_error, "flooding");
      return;
    }
    auto const wait_s = static_cast<double>(bucket_.wait_ms(now)) / 1000.0;
    send_error(core::error_code::rate_limited, {}, parsed.ref, wait_s);
    return;
  }
  refused_in_a_row_ = 0;
  inbound_.push_back({std::move(text), std::move(parsed)});
  if (!handling_) {
    handling_ = true;
    spawn_part("ws_handle_loop", handle_loop(shared_from_this()));
  }
}

awaitable<void>
websocket_session::handle_loop([[maybe_unused]] std::shared_ptr<websocket_session> self)
{
  while (!finishing() && !inbound_.empty()) {
    auto frame = std::move(inbound_.front());
    inbound_.pop_front();
    inbound_room_.cancel();
    if (closing()) continue;
    co_await handle_text(std::move(frame.text), std::move(frame.parsed));
  }
  // Caught up: read_loop starts a new one with the next frame. No storage kept meanwhile.
  inbound_.shrink_to_fit();
  handling_ = false;
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
  if (!transport_.open()) return;
  // A chat group's announcement reaches every member's sockets: one this socket may not show
  // (its user shows theirs to nobody, it is about its own user, or its user's setting is not
  // read yet, before the snapshot) is dropped here, once, and before hello not even held, so a
  // storm of arrivals cannot crowd out the messages and closes held for after it.
  if (decoded.action.what == protocol::event_action::kind::presence &&
      !protocol::presence_event_shown_to(event, identity_.user_id, own_visibility_))
    return;
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
    case protocol::event_action::kind::privacy: privacy_changed(action.visibility); break;
    case protocol::event_action::kind::close:
      // Of one session only (a logout): the user's other sessions keep their sockets.
      if (!action.text.empty() && !auth::same_session(action.text, identity_.session_cookie)) break;
      // This reason (and the re-check's "session ended") is protocol: a client tells a final
      // 4401 from one whose session may only have a new key by it (docs/protocol.md).
      close_soon(action.close_code, "closed by the server application");
      break;
    case protocol::event_action::kind::drop:
      worker_.metrics.layer_events_dropped.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("event=layer_event_dropped conn={} reason=\"{}\"", identity_.connection_id, action.text);
      break;
  }
}

void
websocket_session::resync_hint(std::string_view reason, std::optional<std::int64_t> chat)
{
  if (!transport_.open() || !greeted_) return;  // before hello: the client syncs after it anyway
  enqueue(protocol::resync_frame(reason, chat));
}

void
websocket_session::send_error(core::error_code code, std::string_view detail, std::optional<std::string> const& ref,
                              std::optional<double> retry_after_s)
{
  worker_.metrics.count_error(code);
  enqueue(protocol::error_frame(code, detail, ref, retry_after_s));
}

void
websocket_session::close_soon(std::uint16_t code, std::string reason)
{
  transport_.close_soon(code, std::move(reason));
}

void
websocket_session::schedule_recheck()
{
  // ±10% jitter: sockets opened together (a deploy, a reconnect storm) do not all re-check
  // in the same second.
  auto const interval = worker_.process.settings.auth_recheck_interval;
  std::uniform_int_distribution<std::int64_t> spread{-interval.count() / 10, interval.count() / 10};
  recheck_timer_.expires_after(interval + std::chrono::milliseconds{spread(jitter_source())});
  // A plain callback, not a coroutine parked for the whole interval: an idle socket holds only
  // this pending wait. The weak pointer lets a closed session go; finished() cancels the wait.
  recheck_timer_.async_wait([weak = weak_from_this()](error_code ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self || self->finishing() || self->closing()) return;
    self->spawn_part("ws_recheck", self->recheck(self));
  });
}

awaitable<void>
websocket_session::recheck([[maybe_unused]] std::shared_ptr<websocket_session> self)
{
  auto verdict = co_await worker_.verifier.verify_session(identity_.session_cookie, true);
  if (finishing() || closing()) co_return;
  // An outage (503) keeps the socket: only a definite "no" logs the user out.
  if (verdict.status == 401 || (verdict.allowed() && verdict.user_id != identity_.user_id)) {
    spdlog::info("event=ws_session_ended conn={} reason=\"{}\"", identity_.connection_id, verdict.reason);
    close_soon(4401, "session ended");  // the reason is protocol: see the logout's close above
    co_return;
  }
  // A backstop for membership rows deleted without tandem.membership (e.g. by other code).
  if (identity_.chat_id && verdict.allowed()) {
    verdict = co_await worker_.verifier.check_participant(*identity_.chat_id, std::move(verdict));
    if (verdict.status == 403 && !finishing() && !closing()) {
      spdlog::info("event=ws_membership_ended conn={} chat={}", identity_.connection_id, *identity_.chat_id);
      close_soon(4403, "no longer a member of the chat");
      co_return;
    }
  }
  if (!identity_.chat_id && verdict.allowed()) co_await recheck_notification_chats();
  if (finishing() || closing()) co_return;
  co_await read_own_visibility(self);
  if (finishing() || closing()) co_return;
  schedule_recheck();
}

void
websocket_session::finished()
{
  recheck_timer_.cancel();
  typing_timer_.cancel();
  inbound_room_.cancel();
  inbound_.clear();
  worker_.process.limits.release(identity_.user_id);
  if (channel_.empty()) return;  // never accepted: in no hub, no group, not counted
  leave_presence_and_typing();
  worker_.hub.remove(channel_);
  worker_.layer->release_channel(channel_);
  worker_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
  spdlog::info("event=ws_closed conn={} user={}", identity_.connection_id, identity_.user_id);
}

}  // namespace tandem::net
