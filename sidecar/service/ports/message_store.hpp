// What the messaging use cases need of the database: store a message (deduplicated by
// client_id), advance a receipt marker, read markers and pages of messages. The adapter over
// PostgreSQL is service/adapters/pg_message_store; tests use an in-memory store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "asio/asio.hpp"
#include "store/store_results.hpp"

namespace tandem::service {

class message_store {
 public:
  virtual ~message_store() = default;
  virtual awaitable<store::sent_message> send(std::int64_t chat, std::int64_t sender, std::string client_id,
                                              std::string body, double pending_ttl_s) = 0;
  virtual awaitable<store::applied_receipt> apply_receipt(std::int64_t chat, std::int64_t user, core::receipt_kind kind,
                                                          core::seq_t upto) = 0;
  /// Members with after < seq <= upto among their messages fill senders_in_range (0, 0: none).
  virtual awaitable<store::chat_markers> markers(std::int64_t chat, core::seq_t after, core::seq_t upto) = 0;
  /// The markers a receipt's news is computed from (`reader` went from `before` to `after`),
  /// senders_in_range over the advanced range; no members when no sender's tick can have
  /// moved (core::receipt_news_possible), so most receipts of a large group read no markers.
  virtual awaitable<store::chat_markers> receipt_markers(std::int64_t chat, std::int64_t reader,
                                                         core::receipt_marker before, core::receipt_marker after) = 0;
  /// Messages with after < seq <= upto, oldest first, at most `limit`.
  virtual awaitable<store::message_page> after(std::int64_t chat, core::seq_t after, core::seq_t upto,
                                               std::size_t limit) = 0;
  /// The newest `limit` messages with seq < before (all when none), oldest first.
  virtual awaitable<store::message_page> before(std::int64_t chat, std::optional<core::seq_t> before,
                                                std::size_t limit) = 0;
  /// Where a member's history starts (history_from_join); forbidden when not a member.
  virtual awaitable<store::member_start> joined_seq(std::int64_t chat, std::int64_t user) = 0;
  /// Seconds until the store is worth asking again after an outage (the circuit breaker's
  /// remaining open time; 0 when closed): the retry_after of store_unavailable.
  virtual double retry_after_s() const = 0;
};

}  // namespace tandem::service
