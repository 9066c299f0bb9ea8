// One socket's presence changes waiting for its next presence frame (issue 14, W5): at most one
// frame per presence_frame_interval, listing each changed user once with their latest state,
// users in the order of their first change since the last frame. The first change after a
// quiet interval may go at once. The interval is measured on the monotonic clock: a wall clock
// set back must not hold frames for as long, nor one set forward let them burst.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/time.hpp"
#include "protocol/presence_frames.hpp"
#include "service/ports/clock.hpp"

namespace tandem::net {

class presence_batch {
 public:
  /// Keeps `entry` for the next frame; a later change of a user already waiting replaces it
  /// in place (so a user's changes never reorder, and the frame says only the latest). O(1):
  /// in a storm of a thousand arrivals a socket sees a thousand changes per frame.
  void add(protocol::presence_entry const& entry);
  bool empty() const noexcept { return !waiting_ || waiting_->entries.empty(); }
  /// How long until the waiting changes may go out (zero: now), `interval` after the last frame.
  std::chrono::milliseconds wait(service::clock const& clock, std::chrono::milliseconds interval) const;
  /// The waiting changes, for a frame going out now; the interval restarts.
  std::vector<protocol::presence_entry> take(service::clock const& clock);
  /// Waiting entries looked at by add() since the last take() (tests: a change must cost O(1)).
  std::uint64_t visits() const noexcept { return waiting_ ? waiting_->visits : 0; }

 private:
  struct waiting {
    std::vector<protocol::presence_entry> entries;         // the frame's order
    std::unordered_map<std::int64_t, std::size_t> index;   // user → position in entries
    std::uint64_t visits = 0;
  };
  /// On the heap only while changes wait: nearly every socket has none, and a socket's
  /// footprint is what 100,000 idle sockets multiply (W1).
  std::unique_ptr<waiting> waiting_;
  // Monotonic ms (service::clock::steady_ms) of the last frame; "long ago" at first (its epoch
  // is arbitrary, and half the range cannot overflow a subtraction).
  core::unix_ms flushed_at_ = std::numeric_limits<core::unix_ms>::min() / 2;
};

}  // namespace tandem::net
