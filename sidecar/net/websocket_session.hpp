// One browser socket, the application half: joins the chat's and the user's groups, then turns
// client frames into chat requests, typing, presence and bridge forwards, and channel-layer
// events into frames (sync gate, typing view, presence wording), and re-checks the session.
// Everything about the wire (the bounded outbound queue, the single writer, pings, the close
// handshake, finishing once) is the transport's: net/ws_transport.hpp.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/container/deque.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "asio/asio.hpp"
#include "core/error.hpp"
#include "core/token_bucket.hpp"
#include "layer/message.hpp"
#include "net/decoded_event.hpp"
#include "net/presence_batch.hpp"
#include "net/upgrade_in_progress.hpp"
#include "net/ws_transport.hpp"
#include "protocol/chat_frames.hpp"
#include "protocol/chat_requests.hpp"
#include "protocol/client_frames.hpp"
#include "protocol/event_frames.hpp"
#include "protocol/presence_frames.hpp"
#include "protocol/route.hpp"
#include "protocol/sync_gate.hpp"
#include "protocol/typing_view.hpp"

namespace tandem::net {

struct io_worker;

namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

struct socket_identity {
  std::int64_t user_id = 0;
  std::optional<std::int64_t> chat_id;
  std::string path;
  /// The session cookie's value alone, for the periodic re-check: the rest of the Cookie
  /// header (often a kilobyte of analytics cookies) is not kept for the socket's life.
  std::string session_cookie;
  std::string connection_id;  // request id in every log line of this socket
  std::string display_name;   // shown to others in typing indicators
  int utc_offset_minutes = 0; // the `tz` query parameter: presence wording in the viewer's zone
};

class websocket_session : public std::enable_shared_from_this<websocket_session> {
 public:
  websocket_session(io_worker& worker, boost::beast::tcp_stream stream, socket_identity identity);

  /// Takes over the socket: completes the upgrade with `request` and serves until closed.
  void start(http::request<http::string_body> request, upgrade_in_progress upgrading);
  /// A channel-layer event for this socket's channel or groups.
  void deliver(layer::message const& event);
  /// The same, with the event already decoded (once for all the local sockets it reaches).
  void deliver(layer::message const& event, decoded_event const& decoded);
  /// Flush what is queued, then close with `code` (drain: 1012).
  void close_soon(std::uint16_t code, std::string reason);
  /// Tells the client that live delivery may have missed messages (a `resync` frame), of
  /// `chat` alone when given.
  void resync_hint(std::string_view reason, std::optional<std::int64_t> chat = std::nullopt);
  /// The chat's group could not be joined after tandem.membership said the user joined it:
  /// the next recheck joins again.
  void group_join_failed(std::int64_t chat);
  /// The chat's group was joined after the user became a member: tells the client to sync it.
  void group_joined(std::int64_t chat);

 private:
  /// `upgrading` counts this socket for a drain until it is open (or its upgrade failed).
  awaitable<void> run(std::shared_ptr<websocket_session> self, http::request<http::string_body> request,
                      upgrade_in_progress upgrading);
  /// Reads frames as they arrive and rate-checks them on arrival (so a frame that waited for
  /// the server is never counted against the client's rate), handing the rest to handle_loop.
  awaitable<void> read_loop();
  /// A frame just read: rate-checked, then queued for handle_loop (or answered with an error).
  void take_frame(inbound_message inbound);
  /// Handles inbound frames one at a time, in order; started by read_loop when a frame
  /// arrives and ended when none wait, so an idle socket has no handler coroutine.
  awaitable<void> handle_loop(std::shared_ptr<websocket_session> self);
  /// Starts a secondary loop of this socket; if it fails, the socket is cut (run() cleans up).
  void spawn_part(std::string_view name, awaitable<void> part);
  /// Publishes a stored message (and ends its sender's typing) off the frame path: the ack
  /// needs only PostgreSQL, so a slow Redis must not hold the socket's next frames.
  awaitable<void> publish_stored(std::shared_ptr<websocket_session> self, protocol::message_record message,
                                 bool was_typing);
  /// Arms the next session re-check (auth_recheck_interval ±10%) on a timer callback; the
  /// re-check's coroutine exists only while it runs.
  void schedule_recheck();
  /// One re-check: 4401 when the session ended, 4403 when the chat's membership did, the
  /// notification socket's chat groups settled; then the next one is armed.
  awaitable<void> recheck(std::shared_ptr<websocket_session> self);
  awaitable<void> handle_text(std::string text, protocol::frame_parse parsed);
  awaitable<void> forward_to_bridge(std::string type, std::optional<std::string> ref, std::string_view text);
  /// send, delivered, read, sync, history (websocket_session_chat.cpp).
  awaitable<void> handle_chat(protocol::client_frame const& frame);
  awaitable<void> handle_sync(protocol::sync_request const& request);
  awaitable<bool> join_groups();
  /// The groups this socket belongs in: the user's, and its chat's (or, for
  /// /ws/notifications/, every chat of the user's); nullopt when the database cannot say.
  awaitable<std::optional<std::vector<std::string>>> groups_to_join();
  /// Presence and typing (websocket_session_presence.cpp): what a new socket is told, the
  /// socket's own typing notices, and the batched typing frames it shows.
  awaitable<void> announce_and_snapshot();
  awaitable<void> handle_typing(protocol::typing_request const& request);
  void typing_event(layer::message const& event);
  void presence_event(layer::message const& event);
  /// tandem.privacy: the user changed their presence setting. Taken at once, then read from
  /// the database (the events of two quick changes may arrive in either order).
  void privacy_changed(core::visibility now);
  /// Reads the user's own setting; the newest read started wins (recheck() reads it too, so a
  /// lost event or a plain UPDATE of the row is caught within auth_recheck_interval).
  awaitable<void> read_own_visibility(std::shared_ptr<websocket_session> self);
  void typing_changed(std::int64_t chat);
  /// Sends the presence changes waiting for their frame, as one frame.
  void flush_presence();
  /// Paces the typing frames and the presence frames (one timer for both: a socket's memory):
  /// sends what is due and arms the timer for what is not; nothing is armed while nothing waits.
  void pace_typing_and_presence();
  /// A pacing pass in a later turn of the loop (queued once however many changes arrive).
  void pace_soon();
  void leave_presence_and_typing();
  void enqueue(std::string frame) { transport_.enqueue(std::move(frame)); }
  void enqueue(std::shared_ptr<std::string const> frame) { transport_.enqueue(std::move(frame)); }
  /// A stored message from the chat's group: ends its sender's typing, then goes out unless it
  /// waits for this socket's sync of its chat.
  void live_message(protocol::event_action const& message, std::shared_ptr<std::string const> const& frame);
  /// tandem.membership (websocket_session_chat.cpp): the user left or joined `chat`.
  void membership_changed(std::int64_t chat, bool member);
  /// The re-check's membership backstop for /ws/notifications/
  /// (websocket_session_membership_recheck.cpp).
  awaitable<void> recheck_notification_chats();
  /// Joins again the groups of rejoin_chats_ still in joined_chats_ (at a recheck, after it
  /// applied the removals it found).
  void rejoin_failed_groups();
  /// Joins or leaves `chat`'s group in the background; a failed join comes back through
  /// group_join_failed().
  void change_chat_group(std::int64_t chat, bool join);
  /// True for an event about a chat this socket's user has left since it opened.
  bool about_a_left_chat(layer::message const& event) const;
  void send_error(core::error_code code, std::string_view detail, std::optional<std::string> const& ref,
                  std::optional<double> retry_after_s = std::nullopt);
  /// Ends the socket (once; see ws_transport::finish), which then runs finished().
  void finish() { transport_.finish(); }
  /// The application's cleanup, run once by the transport's finish(): leaves the hub, the
  /// groups, presence and typing.
  void finished();
  bool finishing() const noexcept { return transport_.finished(); }
  bool closing() const noexcept { return transport_.closing(); }

  io_worker& worker_;
  socket_identity identity_;
  /// Over the bare TCP socket, not the HTTP phase's beast::tcp_stream: its deadlines are not
  /// used once the socket is upgraded (the transport's pings and close deadline are), and its
  /// three timers and the layer it adds to every read and write cost each socket (goal W1).
  ws_transport<asio::ip::tcp::socket> transport_;
  std::string channel_;  // set once accepted (and in the hub)
  struct inbound_frame {
    std::string text;
    protocol::frame_parse parsed;
  };
  /// Read and rate-checked, waiting for handle_loop. Boost's deque: an empty one holds no heap
  /// (libstdc++'s allocates 576 bytes up front), and it is shrunk when it empties.
  boost::container::deque<inbound_frame> inbound_;
  bool handling_ = false;             // handle_loop is running
  asio::steady_timer inbound_room_;   // read_loop sleeps on it while inbound_ is full
  std::size_t publishes_in_flight_ = 0;
  asio::steady_timer recheck_timer_;
  core::token_bucket bucket_;
  protocol::sync_gate sync_gate_;
  protocol::typing_view typing_view_;
  std::set<std::int64_t> typing_dirty_;  // chats whose typing frame is due
  std::set<std::int64_t> typing_in_;     // chats this socket's user is typing in (stopped on close)
  std::set<std::int64_t> left_chats_;    // left since the socket opened: their events are dropped
  std::set<std::int64_t> joined_chats_;  // /ws/notifications/: the chat groups it is in
  std::set<std::int64_t> rejoin_chats_;  // of those, the ones whose group join failed: joined again at a recheck
  std::uint64_t membership_events_ = 0;  // membership changes seen (the re-check skips a round)
  // Monotonic ms (clock::steady_ms) of the last typing frame; "long ago" at first (its epoch is arbitrary).
  core::unix_ms typing_flushed_at_ = std::numeric_limits<core::unix_ms>::min() / 2;
  asio::steady_timer typing_timer_;
  bool pacing_queued_ = false;  // a pace_typing_and_presence pass is posted
  /// Presence changes waiting for the socket's next presence frame, one (the latest) per user.
  presence_batch presence_batch_;
  bool presence_counted_ = false;
  /// The socket's user's own presence setting: what it may show of a change sent to a whole
  /// group chat (presence.members). Read with the snapshot's contacts, then changed by
  /// tandem.privacy; unknown until then (nothing of a group shown).
  std::optional<core::visibility> own_visibility_;
  std::uint32_t own_visibility_reads_ = 0;  // reads started: only the newest one's answer is kept
  /// Events from the socket's groups that arrive before hello went out (the groups are joined
  /// first): held, then sent right after hello, so hello is always the first frame.
  bool greeted_ = false;
  std::vector<layer::message> early_events_;
  int refused_in_a_row_ = 0;
};

}  // namespace tandem::net
