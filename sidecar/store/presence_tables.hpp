// The rows presence needs: who shares a chat with a user (and how: a 1:1 chat makes them
// contacts), everyone's privacy settings, last seen, and the user status row the sidecar keeps
// for Django's views.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "asio/asio.hpp"
#include "core/privacy.hpp"
#include "core/time.hpp"
#include "store/message_store.hpp"
#include "store/pg_pool.hpp"
#include "store/store_results.hpp"

namespace tandem::store {

class presence_tables {
 public:
  explicit presence_tables(pg_pool& pool);

  /// Everyone who shares a chat with `user`; `in_chat` marks members of `chat` (0: none); with
  /// the user's own setting and group chats.
  awaitable<contact_list> contacts_of(std::int64_t user, std::int64_t chat);
  /// The user's own presence setting (everyone without a settings row); nullopt on a failure.
  awaitable<std::optional<core::visibility>> own_visibility(std::int64_t user);
  /// Upserts the user status row; last_seen is kept when not given.
  awaitable<bool> write_status(std::int64_t user, bool online, std::int64_t connections,
                               std::optional<core::unix_ms> last_seen);
  /// Upserts many status rows in one statement (a drain's offline rows); a user given twice
  /// gets the later row. True when all landed (one statement: all or none).
  awaitable<bool> write_statuses(std::vector<status_write> rows);
  /// contacts_of(user, 0) for each of `users`, in one query, in the users' order; with `among`,
  /// only the contacts listed there.
  awaitable<std::vector<contact_list>> contacts_of_many(std::vector<std::int64_t> users,
                                                        std::optional<std::vector<std::int64_t>> among);
  /// Everyone who shares a chat with any of `users`, each once, none of `users` themselves (they
  /// are the ones going offline); nullopt on a failure.
  awaitable<std::optional<std::vector<std::int64_t>>> viewers_of_many(std::vector<std::int64_t> users);

 private:
  pg_pool& pool_;
};

}  // namespace tandem::store
