// Why a statement did not succeed. For a batch (sends, receipts) it decides what becomes of its
// requests: each again alone, or every one answered with the failure once.
#pragma once

#include <cstdint>

#include "store/pg_connection.hpp"
#include "store/store_results.hpp"

namespace tandem::store {

enum class batch_failure : std::uint8_t {
  one_request,      // an SQL error in one request's row: nothing committed, the others are fine
  waited,           // a lock or statement timeout, a deadlock, a serialization failure reported
                    // by the server: rolled back; most likely one row held by another transaction
  outcome_unknown,  // no answer in time: the statement may have committed
  outage,           // no connection, the breaker open, read-only, shutting down, out of resources:
                    // every request would meet it again
};

batch_failure classify_batch_failure(pg_outcome const& out);

/// How a query that did not succeed counts: unavailable (retryable) or failed.
store_status failure_of(pg_outcome const& out) noexcept;

}  // namespace tandem::store
