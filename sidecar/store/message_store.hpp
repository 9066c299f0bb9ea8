// Messages and receipts in the Django app's tables. Writes go through the SQL functions of the
// app's migration 0002 (tandem_send_message, tandem_apply_receipt), the same ones its HTTP
// views call; reads are keyset queries on the (chat, seq) unique index.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "asio/asio.hpp"
#include "core/receipt_news.hpp"
#include "protocol/chat_frames.hpp"
#include "store/pg_pool.hpp"

namespace tandem::store {

/// What a store call came to: done, refused (not a member), or the database could not be
/// asked (retryable) / failed (a bug or schema problem: not retryable).
enum class store_status : std::uint8_t { ok, forbidden, unavailable, failed };

/// How a query that did not succeed counts: unavailable (retryable) or failed.
store_status failure_of(pg_outcome const& out) noexcept;

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
  bool has_member(std::int64_t user) const noexcept;
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

class message_store {
 public:
  explicit message_store(pg_pool& pool);

  awaitable<sent_message> send(std::int64_t chat, std::int64_t sender, std::string const& client_id,
                               std::string const& body, double pending_ttl_s);
  awaitable<applied_receipt> apply_receipt(std::int64_t chat, std::int64_t user, core::receipt_kind kind,
                                           core::seq_t upto);
  /// Members with after < seq <= upto among their messages fill senders_in_range.
  awaitable<chat_markers> markers(std::int64_t chat, core::seq_t after = 0, core::seq_t upto = 0);
  /// Messages with after < seq <= upto, oldest first, at most `limit`.
  awaitable<message_page> after(std::int64_t chat, core::seq_t after, core::seq_t upto, std::size_t limit);
  /// The newest `limit` messages with seq < before (all when none), oldest first.
  awaitable<message_page> before(std::int64_t chat, std::optional<core::seq_t> before, std::size_t limit);
  /// Where a member's history starts (history_from_join); forbidden when not a member.
  awaitable<member_start> joined_seq(std::int64_t chat, std::int64_t user);
  /// The chats a user takes part in, at most `limit` (for /ws/notifications/).
  awaitable<id_list> chats_of(std::int64_t user, std::size_t limit);
  /// Deletes pending-delivery entries past their expiry; the count, or nullopt on failure.
  awaitable<std::optional<std::int64_t>> purge_expired_pending();

 private:
  pg_pool& pool_;
};

}  // namespace tandem::store
