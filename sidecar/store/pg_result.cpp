// pg_result accessors; libpq returns "" for NULL, so callers ask is_null/text when it matters.
#include "store/pg_result.hpp"

namespace tandem::store {

bool
pg_result::ok() const noexcept
{
  if (!raw_) return false;
  auto const status = PQresultStatus(raw_.get());
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::string
pg_result::error_message() const
{
  if (!raw_) return "no result";
  return PQresultErrorMessage(raw_.get());
}

std::string
pg_result::sqlstate() const
{
  if (!raw_) return {};
  char const* state = PQresultErrorField(raw_.get(), PG_DIAG_SQLSTATE);
  return state ? state : "";
}

bool
pg_result::transient_error() const
{
  auto const state = sqlstate();
  if (state.size() != 5) return false;
  auto const cls = state.substr(0, 2);
  return cls == "08" || cls == "53" || cls == "57" || state == "25006" || state == "55P03" || state == "40001" ||
         state == "40P01";
}

std::string_view
pg_result::value(int row, int column) const noexcept
{
  return {PQgetvalue(raw_.get(), row, column), static_cast<std::size_t>(PQgetlength(raw_.get(), row, column))};
}

std::optional<std::string>
pg_result::text(int row, int column) const
{
  if (is_null(row, column)) return std::nullopt;
  return std::string{value(row, column)};
}

}  // namespace tandem::store
