// The messaging frames the server sends and the channel-layer events behind them
// (docs/protocol.md): one builder per shape, so the sidecar and the Django app's events
// (tandem/events.py, checked against the same fixtures) cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "core/receipt_marker.hpp"
#include "core/time.hpp"

namespace tandem::protocol {

using ordered_json = nlohmann::ordered_json;

/// A stored message as every frame shows it.
struct message_record {
  std::int64_t id = 0;
  std::int64_t chat = 0;
  core::seq_t seq = 0;
  std::int64_t sender = 0;
  std::string client_id;
  std::string body;
  core::unix_ms created_at = 0;
};

/// {"id","chat","seq","sender","client_id","body","created_at"}; with `viewer_marker` (the
/// viewer's own messages as others have received them) a "status" for the viewer's messages.
ordered_json message_object(message_record const& m, std::optional<std::int64_t> viewer = std::nullopt,
                            core::receipt_marker const* viewer_marker = nullptr);

/// The answer to the sender's "send": stored, one grey tick.
std::string ack_frame(message_record const& m, bool duplicate);

/// Channel-layer event to the chat's group; reaches sockets as a "message" frame.
ordered_json chat_message_event(message_record const& m);

/// Channel-layer event to the chat's group when one of its stored messages will never be
/// published: every socket of the chat gets {"type":"resync","reason":"publish_lost","chat":C}
/// and syncs the chat. (`chat` at the top too: a socket whose user left the chat drops it.)
ordered_json chat_publish_lost_event(std::int64_t chat);

/// To a sender's user group: "your messages in `chat` are `kind` up to `upto`" ("status").
ordered_json chat_status_event(std::int64_t chat, core::receipt_kind kind, core::seq_t upto, core::unix_ms at);

/// To the reader's user group (its other tabs): "you have `kind` up to `upto`" ("receipt").
ordered_json chat_receipt_event(std::int64_t chat, std::int64_t user, core::receipt_kind kind, core::seq_t upto,
                                core::unix_ms at);

/// "sync" reply: messages after `after` in seq order. `more`: another sync frame follows for
/// the same gap; `reload`: the gap is too large, fetch history instead (messages empty).
struct sync_page {
  std::int64_t chat = 0;
  core::seq_t after = 0;
  core::seq_t last_seq = 0;  // the chat's newest seq when the page was read
  bool more = false;
  bool reload = false;
  std::optional<std::string> ref;  // the sync request's, echoed so the client matches the answer
};
std::string sync_frame(sync_page const& page, std::span<message_record const> messages, std::int64_t viewer,
                       core::receipt_marker const& viewer_marker);

/// "history" reply: up to a page of messages before `before` (newest page without), oldest first.
struct history_page {
  std::int64_t chat = 0;
  std::optional<core::seq_t> before;
  bool has_more = false;
  std::optional<std::string> ref;  // the history request's, echoed
};
std::string history_frame(history_page const& page, std::span<message_record const> messages, std::int64_t viewer,
                          core::receipt_marker const& viewer_marker);

/// "delivered" or "read".
std::string_view receipt_kind_name(core::receipt_kind kind) noexcept;

}  // namespace tandem::protocol
