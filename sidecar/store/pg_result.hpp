// An owned libpq result (PQclear on destruction) with the few accessors the store needs.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::store {

class pg_result {
 public:
  pg_result() = default;
  explicit pg_result(PGresult* raw) noexcept : raw_{raw, &PQclear} {}

  /// True for a completed command or returned rows.
  bool ok() const noexcept;
  std::string error_message() const;
  /// The error's SQLSTATE ("25006"), empty when there is none.
  std::string sqlstate() const;
  /// An error a retry can get past: the server is read-only, shutting down or short of
  /// resources, a lock or statement timeout, a serialization failure or deadlock.
  bool transient_error() const;
  int rows() const noexcept { return raw_ ? PQntuples(raw_.get()) : 0; }
  bool is_null(int row, int column) const noexcept { return PQgetisnull(raw_.get(), row, column) != 0; }
  std::string_view value(int row, int column) const noexcept;
  /// nullopt for SQL NULL.
  std::optional<std::string> text(int row, int column) const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> raw_{nullptr, &PQclear};
};

}  // namespace tandem::store
