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
#include "store/batch_failure.hpp"  // failure_of
#include "store/pg_pool.hpp"
#include "store/receipt_batcher.hpp"
#include "store/send_batcher.hpp"
#include "store/store_results.hpp"

namespace tandem::store {

class message_store {
 public:
  /// Receipts are applied up to `receipt_batch_max` per statement (receipt_batcher), sends
  /// stored up to `send_batch_max` per statement (send_batcher).
  explicit message_store(pg_pool& pool, std::size_t receipt_batch_max = 64, std::size_t send_batch_max = 32);

  awaitable<sent_message> send(std::int64_t chat, std::int64_t sender, std::string const& client_id,
                               std::string const& body, double pending_ttl_s);
  awaitable<applied_receipt> apply_receipt(std::int64_t chat, std::int64_t user, core::receipt_kind kind,
                                           core::seq_t upto);
  /// Members with after < seq <= upto among their messages fill senders_in_range.
  awaitable<chat_markers> markers(std::int64_t chat, core::seq_t after = 0, core::seq_t upto = 0);
  /// markers() for the news of `reader`'s receipt (its marker went from `before` to `after`),
  /// with senders_in_range over the advanced range; no members at all when no sender's tick
  /// can have moved (core::receipt_news_possible, decided in the same statement).
  awaitable<chat_markers> receipt_markers(std::int64_t chat, std::int64_t reader, core::receipt_marker before,
                                          core::receipt_marker after);
  /// Messages with after < seq <= upto, oldest first, at most `limit`.
  awaitable<message_page> after(std::int64_t chat, core::seq_t after, core::seq_t upto, std::size_t limit);
  /// The newest `limit` messages with seq < before (all when none), oldest first.
  awaitable<message_page> before(std::int64_t chat, std::optional<core::seq_t> before, std::size_t limit);
  /// Where a member's history starts (history_from_join); forbidden when not a member.
  awaitable<member_start> joined_seq(std::int64_t chat, std::int64_t user);
  /// The chats a user takes part in, at most `limit` (for /ws/notifications/).
  awaitable<id_list> chats_of(std::int64_t user, std::size_t limit);
  /// Statements that applied receipts so far (fewer than receipts when they came together).
  std::uint64_t receipt_statements() const noexcept { return receipts_.statements(); }
  /// Statements that stored sends so far (fewer than sends when they came together).
  std::uint64_t send_statements() const noexcept { return sends_.statements(); }
  /// Deletes pending-delivery entries past their expiry; the count, or nullopt on failure.
  awaitable<std::optional<std::int64_t>> purge_expired_pending();

 private:
  pg_pool& pool_;
  receipt_batcher receipts_;
  send_batcher sends_;
};

}  // namespace tandem::store
