// The message status state machine behind the ticks: pending → sent → delivered → read, with
// failed as the client's own verdict after its retries ran out. Server facts only move forward.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/time.hpp"

namespace tandem::core {

/// What the sender sees for one message. Values are stable (stored and sent on the wire).
enum class tick : std::uint8_t {
  pending = 0,    // written on the client, no ack from the server yet (clock icon)
  sent = 1,       // persisted by the server (one grey tick)
  delivered = 2,  // reached the recipient's device(s) (two grey ticks)
  read = 3,       // seen by the recipient(s) (two blue ticks)
  failed = 4,     // client gave up after its retries (red warning); only from pending
};

/// What happened to a message.
enum class tick_event : std::uint8_t {
  acked = 0,      // the server stored it
  delivered = 1,  // a delivery receipt covers it
  read = 2,       // a read receipt covers it
  failed = 3,     // the client's retries ran out
  retried = 4,    // the user pressed retry on a failed message
};

/// A status with the time each step was reached. A step implied by a later one (read implies
/// delivered implies sent) is stamped with the later step's time when it was never seen.
struct message_status {
  tick state = tick::pending;
  std::optional<unix_ms> sent_at;
  std::optional<unix_ms> delivered_at;
  std::optional<unix_ms> read_at;
  std::optional<unix_ms> failed_at;

  bool operator==(message_status const&) const = default;
};

/// Result of applying one event: the new status and whether anything changed (so callers
/// push an update only when there is news).
struct tick_transition {
  message_status status;
  bool changed = false;
};

/// How far the server has taken a message: pending and failed are 0, sent 1, delivered 2,
/// read 3. This rank never decreases under advance().
int server_rank(tick state) noexcept;

/// Applies `event` at time `at`. Server events (acked, delivered, read) only move forward and
/// override a client-side "failed"; a late "delivered" after "read" is a no-op. "failed"
/// applies only to a pending message and "retried" only to a failed one.
tick_transition advance(message_status const& status, tick_event event, unix_ms at) noexcept;

/// Stable lower-case name ("sent", "delivered", ...), as used in frames and the database.
std::string_view tick_name(tick state) noexcept;

/// Parses tick_name() output; nullopt for anything else.
std::optional<tick> tick_from_name(std::string_view name) noexcept;

}  // namespace tandem::core
