// Sends stored together. At a few thousand messages a second, one tandem_send_message_v2
// statement and one commit per message made PostgreSQL the largest cost per message (issue 14,
// W2). Sends an I/O thread gets while a batch is being stored wait for the next one: one
// statement and one commit for the batch (group commit), while a lone send goes at once, as
// before. Every send keeps its own answer (stored, duplicate, forbidden), and a chat's sends
// keep their order: the batch is stored in the order they came, sorted by chat only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "asio/asio.hpp"
#include "store/pg_pool.hpp"
#include "store/statement_batches.hpp"
#include "store/store_results.hpp"

namespace tandem::store {

class send_batcher {
 public:
  /// At most `max_batch` sends per statement (send_batch_max).
  send_batcher(pg_pool& pool, std::size_t max_batch);

  /// What tandem_send_message_v2 answers for this send, stored alone or with others. The chat
  /// rows are locked in chat order by every batch, so two batches cannot deadlock, and a batch
  /// that fails because of one send, or because it waited for a lock, is stored again send by
  /// send, all at once; an outage answers every send of the batch once.
  awaitable<sent_message> send(std::int64_t chat, std::int64_t sender, std::string client_id, std::string body);

  std::uint64_t statements() const noexcept { return statements_; }

 private:
  struct request {
    std::int64_t chat = 0;
    std::int64_t sender = 0;
    std::string client_id;
    std::string body;
  };
  using batches = statement_batches<request, sent_message>;
  batches::statement statement();
  awaitable<sent_message> store_alone(request const& one);
  awaitable<pg_outcome> store_together(std::vector<request const*> const& sorted);

  pg_pool& pool_;
  batches batches_;
  std::uint64_t statements_ = 0;
};

}  // namespace tandem::store
