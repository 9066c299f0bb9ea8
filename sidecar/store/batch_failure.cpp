#include "store/batch_failure.hpp"

namespace tandem::store {

batch_failure
classify_batch_failure(pg_outcome const& out)
{
  if (out.timed_out) return batch_failure::outcome_unknown;
  auto const state = out.result.sqlstate();
  if (state == "55P03" || state == "57014" || state == "40P01" || state == "40001") return batch_failure::waited;
  if (out.error.empty() && !out.result.transient_error()) return batch_failure::one_request;
  return batch_failure::outage;
}

store_status
failure_of(pg_outcome const& out) noexcept
{
  // Transient server states (read-only during a failover, shutting down, lock or statement
  // timeout) are outages to retry, not errors in the request.
  return out.unavailable || out.result.transient_error() ? store_status::unavailable : store_status::failed;
}

}  // namespace tandem::store
