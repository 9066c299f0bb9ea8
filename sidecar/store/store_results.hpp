// What the store's calls answer, as plain values: the use cases in service/ and their
// in-memory fakes speak these without including libpq (the adapters in this folder fill them).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/privacy.hpp"
#include "core/receipt_news.hpp"
#include "core/time.hpp"
#include "protocol/chat_frames.hpp"

namespace tandem::store {

/// What a store call came to: done, refused (not a member), or the database could not be
/// asked (retryable) / failed (a bug or schema problem: not retryable).
enum class store_status : std::uint8_t { ok, forbidden, unavailable, failed };

struct sent_message {
  store_status status = store_status::failed;
  protocol::message_record message;
  bool duplicate = false;  // an earlier send with this client_id; `message` is that original
  std::string error;
};

struct applied_receipt {
  store_status status = store_status::failed;
  bool changed = false;  // false: a repeat or stale receipt
  core::receipt_marker before, after;
  core::unix_ms at = 0;
  std::string error;
};

/// Every member's marker and the chat's newest seq, read together; with a seq range, also who
/// sent messages in it (the senders a receipt over that range may have news for).
struct chat_markers {
  store_status status = store_status::failed;
  std::vector<core::member_marker> members;
  core::seq_t last_seq = 0;
  bool is_group = false;
  std::vector<std::int64_t> senders_in_range;
  std::string error;
  bool has_member(std::int64_t user) const noexcept
  {
    return std::any_of(members.begin(), members.end(), [user](auto const& m) { return m.user_id == user; });
  }
};

struct message_page {
  store_status status = store_status::failed;
  std::vector<protocol::message_record> messages;  // oldest first
  std::string error;
};

/// The seq of the chat's newest message when a member joined (tandem_chatmember.joined_seq).
struct member_start {
  store_status status = store_status::failed;
  core::seq_t joined_seq = 0;
  std::string error;
};

struct id_list {
  store_status status = store_status::failed;
  std::vector<std::int64_t> ids;
  std::string error;
};

struct contact {
  std::int64_t user_id = 0;
  bool direct = false;   // shares a 1:1 chat with the user: a contact
  bool in_chat = false;  // a member of the chat asked about
  bool grouped = false;  // shares a group chat with the user
  core::visibility visibility = core::visibility::everyone;
  std::optional<core::unix_ms> last_seen;
};

struct contact_list {
  store_status status = store_status::failed;
  core::visibility own_visibility = core::visibility::everyone;
  std::vector<contact> contacts;
  /// The user's group chats (ascending): presence reaches their members through them.
  std::vector<std::int64_t> group_chats;
  std::string error;
};

/// One user status row to write (presence_tables::write_statuses).
struct status_write {
  std::int64_t user = 0;
  bool online = false;
  std::int64_t connections = 0;
  std::optional<core::unix_ms> last_seen;  // kept as it is when not given
};

}  // namespace tandem::store
