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
  int rows() const noexcept { return raw_ ? PQntuples(raw_.get()) : 0; }
  bool is_null(int row, int column) const noexcept { return PQgetisnull(raw_.get(), row, column) != 0; }
  std::string_view value(int row, int column) const noexcept;
  /// nullopt for SQL NULL.
  std::optional<std::string> text(int row, int column) const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> raw_{nullptr, &PQclear};
};

}  // namespace tandem::store
