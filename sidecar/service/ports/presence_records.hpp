// The rows presence reads and writes in the site's database: who may hear of a user (contacts,
// their privacy settings, last seen) and the user status row Django's views show. The adapter
// over PostgreSQL is service/adapters/pg_presence_records.
#pragma once

#include <cstdint>
#include <optional>

#include "asio/asio.hpp"
#include "core/time.hpp"
#include "store/store_results.hpp"

namespace tandem::service {

class presence_records {
 public:
  virtual ~presence_records() = default;
  /// Everyone who shares a chat with `user`; `in_chat` marks members of `chat` (0: none).
  virtual awaitable<store::contact_list> contacts_of(std::int64_t user, std::int64_t chat) = 0;
  /// Upserts the user status row; last_seen is kept when not given.
  virtual awaitable<bool> write_status(std::int64_t user, bool online, std::int64_t connections,
                                       std::optional<core::unix_ms> last_seen) = 0;
};

}  // namespace tandem::service
