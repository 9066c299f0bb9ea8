// The rows presence reads and writes in the site's database: who may hear of a user (contacts,
// their privacy settings, last seen) and the user status row Django's views show. The adapter
// over PostgreSQL is service/adapters/pg_presence_records.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "asio/asio.hpp"
#include "core/time.hpp"
#include "store/store_results.hpp"

namespace tandem::service {

class presence_records {
 public:
  virtual ~presence_records() = default;
  /// Everyone who shares a chat with `user`; `in_chat` marks members of `chat` (0: none); with
  /// the user's own setting and group chats.
  virtual awaitable<store::contact_list> contacts_of(std::int64_t user, std::int64_t chat) = 0;
  /// The user's own presence setting as stored now; nullopt when the store cannot say.
  virtual awaitable<std::optional<core::visibility>> own_visibility(std::int64_t user) = 0;
  /// Upserts the user status row; last_seen is kept when not given.
  virtual awaitable<bool> write_status(std::int64_t user, bool online, std::int64_t connections,
                                       std::optional<core::unix_ms> last_seen) = 0;
  /// write_status for many rows in one round trip (a drain's offline rows); true when all
  /// landed, false when none did.
  virtual awaitable<bool> write_statuses(std::vector<store::status_write> rows) = 0;
  /// contacts_of(user, 0) for each of `users` in one round trip, in the users' order (on a
  /// failure every list carries it); with `among`, only the contacts listed there.
  virtual awaitable<std::vector<store::contact_list>> contacts_of_many(
      std::vector<std::int64_t> users, std::optional<std::vector<std::int64_t>> among) = 0;
  /// Everyone who shares a chat with any of `users`, each once, none of `users` themselves:
  /// who could hear of their going offline (all of them are going). nullopt when the store
  /// cannot say.
  virtual awaitable<std::optional<std::vector<std::int64_t>>> viewers_of_many(std::vector<std::int64_t> users) = 0;
};

}  // namespace tandem::service
