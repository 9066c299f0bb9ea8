// Presence's rows over PostgreSQL (store::presence_tables).
#pragma once

#include <utility>
#include <vector>

#include "service/ports/presence_records.hpp"
#include "store/presence_tables.hpp"

namespace tandem::service {

class pg_presence_records final : public presence_records {
 public:
  explicit pg_presence_records(store::presence_tables& tables) : tables_{tables} {}

  awaitable<store::contact_list> contacts_of(std::int64_t user, std::int64_t chat) override
  {
    co_return co_await tables_.contacts_of(user, chat);
  }
  awaitable<std::optional<core::visibility>> own_visibility(std::int64_t user) override
  {
    co_return co_await tables_.own_visibility(user);
  }
  awaitable<bool> write_status(std::int64_t user, bool online, std::int64_t connections,
                               std::optional<core::unix_ms> last_seen) override
  {
    co_return co_await tables_.write_status(user, online, connections, last_seen);
  }
  awaitable<bool> write_statuses(std::vector<store::status_write> rows) override
  {
    co_return co_await tables_.write_statuses(std::move(rows));
  }
  awaitable<std::vector<store::contact_list>> contacts_of_many(
      std::vector<std::int64_t> users, std::optional<std::vector<std::int64_t>> among) override
  {
    co_return co_await tables_.contacts_of_many(std::move(users), std::move(among));
  }
  awaitable<std::optional<std::vector<std::int64_t>>> viewers_of_many(std::vector<std::int64_t> users) override
  {
    co_return co_await tables_.viewers_of_many(std::move(users));
  }

 private:
  store::presence_tables& tables_;
};

}  // namespace tandem::service
