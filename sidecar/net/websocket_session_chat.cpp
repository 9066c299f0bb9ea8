// The socket's messaging frames (docs/protocol.md, "Messaging"): each is decoded, handed to the
// worker's messaging use cases, and answered on this socket; the rest of the session (queue,
// pings, close) is in websocket_session.cpp.
#include <spdlog/spdlog.h>

#include "asio/supervised_spawn.hpp"
#include "net/io_worker.hpp"
#include "net/websocket_session.hpp"
#include "protocol/chat_requests.hpp"
#include "protocol/client_frames.hpp"

namespace tandem::net {

namespace {

/// Why `user` may not send typing notices for `chat`, or nothing when they may. A chat socket
/// was admitted for its chat only (chat_of refuses others); on /ws/notifications/ membership
/// is checked per frame as for the messaging frames, so a non-member can neither show up as
/// typing nor make Redis keys and per-socket entries for chats that do not exist.
awaitable<std::optional<core::field_error>>
typing_refusal(io_worker& worker, std::int64_t user, std::optional<std::int64_t> socket_chat, std::int64_t chat)
{
  if (socket_chat) co_return std::nullopt;
  auto const member = co_await worker.tables.is_participant(chat, user);
  if (member.unavailable) co_return core::field_error{core::error_code::store_unavailable, {}};
  if (!member.value || !*member.value) co_return core::field_error{core::error_code::forbidden, "chat"};
  co_return std::nullopt;
}

/// Joins or leaves one chat group for one channel; parameters by value (the session may be gone
/// by the time this runs, and the layer outlives every session). A join's outcome is handed
/// back to the session, if it still lives: a failed one is made again at its next recheck, a
/// made one tells the client to sync the chat.
awaitable<void>
change_group(std::shared_ptr<layer::channel_layer> layer, std::string group, std::string channel, bool join,
             std::string conn, std::int64_t chat, std::weak_ptr<websocket_session> session)
{
  auto const status = join ? co_await layer->group_add(group, channel) : co_await layer->group_discard(group, channel);
  if (status == layer::send_status::ok) {
    if (auto self = session.lock(); self && join) self->group_joined(chat);
    co_return;
  }
  spdlog::warn("event=membership_group_change_failed conn={} group={} join={} status={}", conn, group, join,
               layer::send_status_name(status));
  if (auto self = session.lock(); self && join) self->group_join_failed(chat);
}

/// Publishes a socket may have running at once; a sender beyond it waits for one to finish.
constexpr std::size_t publishes_per_socket = 32;
}  // namespace

awaitable<std::optional<std::vector<std::string>>>
websocket_session::groups_to_join()
{
  auto const& messaging = worker_.process.messaging;
  std::vector<std::string> groups{messaging.user_group_prefix + std::to_string(identity_.user_id)};
  if (identity_.chat_id) {
    groups.push_back(messaging.chat_group_prefix + std::to_string(*identity_.chat_id));
    co_return groups;
  }
  // /ws/notifications/ hears every chat of the user's, so one group_send per chat reaches
  // chat pages and chat lists alike.
  auto const chats = co_await worker_.messages.chats_of(identity_.user_id, messaging.notifications_max_chats);
  if (chats.status != store::store_status::ok) {
    spdlog::warn("event=chats_lookup_failed conn={} error=\"{}\"", identity_.connection_id, chats.error);
    co_return std::nullopt;
  }
  for (auto const chat : chats.ids) groups.push_back(messaging.chat_group_prefix + std::to_string(chat));
  joined_chats_.insert(chats.ids.begin(), chats.ids.end());
  co_return groups;
}

awaitable<void>
websocket_session::handle_chat(protocol::client_frame const& frame)
{
  auto const& settings = worker_.process.messaging;
  auto parsed = protocol::parse_chat_request(frame.body, identity_.chat_id, settings.limits, settings.pages);
  if (!parsed.request) {
    send_error(parsed.error.code, parsed.error.field, frame.ref);
    co_return;
  }
  auto const user = identity_.user_id;
  auto& chat = worker_.chat;
  if (auto const* send = std::get_if<protocol::send_request>(&*parsed.request)) {
    auto const out = co_await chat.send(user, *send);
    enqueue(out.reply);  // the ack first: one grey tick as soon as the row is stored
    if (out.publish) {
      bool const was_typing = typing_in_.erase(send->chat) > 0;
      if (publishes_in_flight_ < publishes_per_socket)
        spawn(transport_.get_executor(), "ws_publish", publish_stored(shared_from_this(), *out.publish, was_typing));
      else
        chat.publish_later(*out.publish);  // behind the socket's others, never holding its frames
    }
  } else if (auto const* receipt = std::get_if<protocol::receipt_request>(&*parsed.request)) {
    if (auto error = co_await chat.receipt(user, *receipt)) enqueue(std::move(*error));
  } else if (auto const* sync = std::get_if<protocol::sync_request>(&*parsed.request)) {
    co_await handle_sync(*sync);
  } else if (auto const* history = std::get_if<protocol::history_request>(&*parsed.request)) {
    enqueue(co_await chat.history(user, *history));
  } else if (auto const* typing = std::get_if<protocol::typing_request>(&*parsed.request)) {
    if (auto refused = co_await typing_refusal(worker_, user, identity_.chat_id, typing->chat)) {
      bool const retry = refused->code == core::error_code::store_unavailable;
      send_error(refused->code, refused->field, frame.ref, retry ? std::optional{1.0} : std::nullopt);
      co_return;
    }
    co_await handle_typing(*typing);
  }
}

awaitable<void>
websocket_session::publish_stored([[maybe_unused]] std::shared_ptr<websocket_session> self,
                                  protocol::message_record message, bool was_typing)
{
  ++publishes_in_flight_;
  ++worker_.publishes_in_flight;
  struct done_guard {
    std::size_t& socket_count;
    std::size_t& worker_count;
    ~done_guard()
    {
      --socket_count;
      --worker_count;
    }
  } const done{publishes_in_flight_, worker_.publishes_in_flight};
  co_await worker_.chat.publish(message);
  if (was_typing) co_await worker_.typing.message_sent(identity_.user_id, identity_.display_name, message.chat);
}

awaitable<void>
websocket_session::handle_sync(protocol::sync_request const& request)
{
  // The socket already belongs to the chat's group (joined before hello), so whatever commits
  // after the sync's read arrives live; the gate holds those until the sync has gone out.
  sync_gate_.begin(request.chat);
  auto out = co_await worker_.chat.sync(identity_.user_id, request);
  for (auto& frame : out.frames) enqueue(std::move(frame));
  for (auto& frame : sync_gate_.end(request.chat, out.covered_upto)) enqueue(std::move(frame));
}

void
websocket_session::membership_changed(std::int64_t chat, bool member)
{
  spdlog::info("event=ws_membership_changed conn={} chat={} member={}", identity_.connection_id, chat, member);
  ++membership_events_;
  // The client is told too, so a view of the chat stops offering to send to it (a send would be
  // refused `forbidden`) or offers it again. A chat socket is closed with 4403 instead. (Before
  // hello the event waited in early_events_: the frame goes after hello.)
  if (!identity_.chat_id && transport_.open()) enqueue(protocol::membership_frame(chat, member));
  if (member) {
    left_chats_.erase(chat);
    if (identity_.chat_id) return;  // a chat socket is for its one chat, joined at the upgrade
    joined_chats_.insert(chat);
  } else {
    left_chats_.insert(chat);
    joined_chats_.erase(chat);
    typing_in_.erase(chat);
    if (identity_.chat_id == chat) close_soon(4403, "no longer a member of the chat");
  }
  change_chat_group(chat, member);
}

void
websocket_session::change_chat_group(std::int64_t chat, bool join)
{
  auto const group = worker_.process.messaging.chat_group_prefix + std::to_string(chat);
  spawn(transport_.get_executor(), "ws_membership_group_change",
        change_group(worker_.layer, group, channel_, join, identity_.connection_id, chat, weak_from_this()));
}

void
websocket_session::group_join_failed(std::int64_t chat)
{
  // Perhaps not in the group: the next recheck joins again if the user is still a member
  // (left as it was, the socket heard nothing of the chat until the group refresh, group_expiry
  // / 2 later: 12 hours by default). The chat stays in joined_chats_, so a removal the recheck
  // finds still leaves the group and drops the chat's events.
  if (joined_chats_.contains(chat)) {
    rejoin_chats_.insert(chat);
    spdlog::info("event=ws_membership_join_retry conn={} chat={} at=next_recheck", identity_.connection_id, chat);
  }
}

void
websocket_session::group_joined(std::int64_t chat)
{
  // A message committed after the user became a member but published before this join landed
  // reached the group without this socket (the join waits its turn behind the tandem.membership
  // event, or for the next recheck), and nothing else would ever bring it: the client syncs the
  // chat from what it holds (from the member's joined_seq for a chat new to it).
  if (joined_chats_.contains(chat)) resync_hint("chat_joined", chat);
}

void
websocket_session::rejoin_failed_groups()
{
  for (auto const chat : std::exchange(rejoin_chats_, {}))
    if (joined_chats_.contains(chat)) change_chat_group(chat, true);  // (else left meanwhile)
}

bool
websocket_session::about_a_left_chat(layer::message const& event) const
{
  if (left_chats_.empty()) return false;
  auto const chat = event.find("chat");
  return chat != event.end() && chat->is_number_integer() && left_chats_.contains(chat->get<std::int64_t>());
}

void
websocket_session::live_message(protocol::event_action const& message, std::shared_ptr<std::string const> const& frame)
{
  // A message ends its sender's typing at once, before the stop notice arrives.
  if (typing_view_.forget(message.chat, message.sender)) typing_changed(message.chat);
  if (sync_gate_.admit(message.chat, message.seq, message.text)) enqueue(frame);
}

}  // namespace tandem::net
