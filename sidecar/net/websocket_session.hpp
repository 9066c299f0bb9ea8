// One browser socket: accepts the upgrade, joins the chat's and the user's groups, then runs a
// read loop (client frames), a write loop (one bounded queue; pings and the close go through it
// so at most one write is in flight) and a session re-check loop.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "asio/asio.hpp"
#include "core/error.hpp"
#include "core/token_bucket.hpp"
#include "layer/message.hpp"
#include "net/decoded_event.hpp"
#include "protocol/chat_frames.hpp"
#include "protocol/chat_requests.hpp"
#include "protocol/client_frames.hpp"
#include "protocol/event_frames.hpp"
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
  std::string cookie_header;  // kept for the periodic session re-check
  std::string connection_id;  // request id in every log line of this socket
  std::string display_name;   // shown to others in typing indicators
  int utc_offset_minutes = 0; // the `tz` query parameter: presence wording in the viewer's zone
};

class websocket_session : public std::enable_shared_from_this<websocket_session> {
 public:
  websocket_session(io_worker& worker, boost::beast::tcp_stream stream, socket_identity identity);

  /// Takes over the socket: completes the upgrade with `request` and serves until closed.
  void start(http::request<http::string_body> request);
  /// A channel-layer event for this socket's channel or groups.
  void deliver(layer::message const& event);
  /// The same, with the event already decoded (once for all the local sockets it reaches).
  void deliver(layer::message const& event, decoded_event const& decoded);
  /// Flush what is queued, then close with `code` (drain: 1012).
  void close_soon(std::uint16_t code, std::string reason);
  /// Tells the client that live delivery may have missed messages (a `resync` frame).
  void resync_hint(std::string_view reason);

 private:
  awaitable<void> run(std::shared_ptr<websocket_session> self, http::request<http::string_body> request);
  /// Reads frames as they arrive and rate-checks them on arrival (so a frame that waited for
  /// the server is never counted against the client's rate), handing the rest to handle_loop.
  awaitable<void> read_loop();
  /// Handles inbound frames one at a time, in order.
  awaitable<void> handle_loop(std::shared_ptr<websocket_session> self);
  /// Starts a secondary loop of this socket; if it fails, the socket is cut (run() cleans up).
  void spawn_part(std::string_view name, awaitable<void> part);
  /// Publishes a stored message (and ends its sender's typing) off the frame path: the ack
  /// needs only PostgreSQL, so a slow Redis must not hold the socket's next frames.
  awaitable<void> publish_stored(std::shared_ptr<websocket_session> self, protocol::message_record message,
                                 bool was_typing);
  awaitable<void> write_loop(std::shared_ptr<websocket_session> self);
  awaitable<void> ping_loop(std::shared_ptr<websocket_session> self);
  awaitable<void> recheck_loop(std::shared_ptr<websocket_session> self);
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
  void typing_changed(std::int64_t chat);
  awaitable<void> typing_loop(std::shared_ptr<websocket_session> self);
  void leave_presence_and_typing();
  void enqueue(std::string frame);
  void enqueue(std::shared_ptr<std::string const> frame);
  /// A stored message from the chat's group: ends its sender's typing, then goes out unless it
  /// waits for this socket's sync of its chat.
  void live_message(protocol::event_action const& message, std::shared_ptr<std::string const> const& frame);
  /// tandem.membership (websocket_session_chat.cpp): the user left or joined `chat`.
  void membership_changed(std::int64_t chat, bool member);
  /// The re-check's membership backstop for /ws/notifications/
  /// (websocket_session_membership_recheck.cpp).
  awaitable<void> recheck_notification_chats();
  /// True for an event about a chat this socket's user has left since it opened.
  bool about_a_left_chat(layer::message const& event) const;
  void send_error(core::error_code code, std::string_view detail, std::optional<std::string> const& ref,
                  std::optional<double> retry_after_s = std::nullopt);
  void wake_writer();
  void finish();

  io_worker& worker_;
  websocket::stream<boost::beast::tcp_stream> ws_;
  socket_identity identity_;
  std::string channel_;
  boost::beast::flat_buffer read_buffer_;
  struct inbound_frame {
    std::string text;
    protocol::frame_parse parsed;
  };
  std::deque<inbound_frame> inbound_;  // read and rate-checked, waiting for handle_loop
  asio::steady_timer inbound_ready_;  // handle_loop sleeps on it while inbound_ is empty
  asio::steady_timer inbound_room_;   // read_loop sleeps on it while inbound_ is full
  bool reading_done_ = false;
  std::size_t publishes_in_flight_ = 0;
  std::deque<std::shared_ptr<std::string const>> queue_;
  std::size_t queued_bytes_ = 0;
  asio::steady_timer writer_wakeup_;
  asio::steady_timer ping_timer_;
  asio::steady_timer recheck_timer_;
  asio::steady_timer close_deadline_;
  core::token_bucket bucket_;
  protocol::sync_gate sync_gate_;
  protocol::typing_view typing_view_;
  std::set<std::int64_t> typing_dirty_;  // chats whose typing frame is due
  std::set<std::int64_t> typing_in_;     // chats this socket's user is typing in (stopped on close)
  std::set<std::int64_t> left_chats_;    // left since the socket opened: their events are dropped
  std::set<std::int64_t> joined_chats_;  // /ws/notifications/: the chat groups it is in
  std::uint64_t membership_events_ = 0;  // membership changes seen (the re-check skips a round)
  core::unix_ms typing_flushed_at_ = 0;
  asio::steady_timer typing_timer_;
  bool presence_counted_ = false;
  /// Events from the socket's groups that arrive before hello went out (the groups are joined
  /// first): held, then sent right after hello, so hello is always the first frame.
  bool greeted_ = false;
  std::vector<layer::message> early_events_;
  int refused_in_a_row_ = 0;
  int missed_pongs_ = 0;
  bool ping_due_ = false;
  std::optional<std::uint16_t> close_code_;
  std::string close_reason_;
  bool open_ = false;
  bool finished_ = false;
};

}  // namespace tandem::net
