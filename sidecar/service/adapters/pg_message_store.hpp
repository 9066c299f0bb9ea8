// The message store over PostgreSQL: the store's queries (store::message_store) and the pool's
// circuit breaker, which says how long clients should wait after an outage.
#pragma once

#include "service/ports/message_store.hpp"
#include "store/message_store.hpp"
#include "store/pg_pool.hpp"

namespace tandem::service {

class pg_message_store final : public message_store {
 public:
  pg_message_store(store::message_store& queries, store::pg_pool& pool) : queries_{queries}, pool_{pool} {}

  awaitable<store::sent_message> send(std::int64_t chat, std::int64_t sender, std::string client_id, std::string body,
                                      double pending_ttl_s) override;
  awaitable<store::applied_receipt> apply_receipt(std::int64_t chat, std::int64_t user, core::receipt_kind kind,
                                                  core::seq_t upto) override;
  awaitable<store::chat_markers> markers(std::int64_t chat, core::seq_t after, core::seq_t upto) override;
  awaitable<store::chat_markers> receipt_markers(std::int64_t chat, std::int64_t reader, core::receipt_marker before,
                                                 core::receipt_marker after) override;
  awaitable<store::message_page> after(std::int64_t chat, core::seq_t after, core::seq_t upto,
                                       std::size_t limit) override;
  awaitable<store::message_page> before(std::int64_t chat, std::optional<core::seq_t> before,
                                        std::size_t limit) override;
  awaitable<store::member_start> joined_seq(std::int64_t chat, std::int64_t user) override;
  double retry_after_s() const override { return pool_.retry_after_s(); }

 private:
  store::message_store& queries_;
  store::pg_pool& pool_;
};

}  // namespace tandem::service
