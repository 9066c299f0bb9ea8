// The Django tables the WebSocket handshake reads: sessions, users (password hash, is_active)
// and chat participants. Table names come from the Django settings via the config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "asio/asio.hpp"
#include "store/pg_pool.hpp"

namespace tandem::store {

struct table_names {
  std::string session = "django_session";
  std::string user = "auth_user";
  std::string chat_member = "tandem_chatmember";
  std::string user_display_column = "username";  // what typing indicators call a user
};

/// A row (or fact) that may be absent, or the database could not be asked.
template <typename T>
struct lookup {
  std::optional<T> value;
  bool unavailable = false;
  std::string error;
};

struct user_row {
  std::string password_hash;
  bool is_active = false;
  std::string display_name;
};

class django_tables {
 public:
  django_tables(pg_pool& pool, table_names const& names);

  /// session_data of an unexpired session row.
  awaitable<lookup<std::string>> session_data(std::string const& session_key);
  awaitable<lookup<user_row>> user(std::int64_t id);
  /// value is true/false when the database answered.
  awaitable<lookup<bool>> is_participant(std::int64_t chat_id, std::int64_t user_id);
  /// SELECT 1: for /readyz.
  awaitable<bool> ping();

 private:
  pg_pool& pool_;
  // Prepared per connection; the table names are fixed for the process by its configuration.
  pg_statement session_sql_, user_sql_, member_sql_;
};

/// "name" with embedded quotes doubled: a table name from config can never become SQL.
std::string quote_identifier(std::string_view name);

}  // namespace tandem::store
