// Keeps a sync and live traffic from overlapping on one socket: while a chat's sync is being
// read, live "message" frames of that chat are held; when the sync has been sent, the held ones
// it did not cover go out in seq order. So the client sees the gap filled once, then live
// traffic, with no duplicate, even when messages arrive during the sync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/receipt_marker.hpp"

namespace tandem::protocol {

class sync_gate {
 public:
  /// Held frames per chat beyond which the oldest are released unfiltered (duplicates then
  /// being possible, never losses; clients drop a message id they already have).
  explicit sync_gate(std::size_t max_held = 1024) : max_held_{max_held} {}

  void begin(std::int64_t chat);
  /// A live message frame: true when it may be sent now, false when it is held.
  bool admit(std::int64_t chat, core::seq_t seq, std::string const& frame);
  /// The sync of `chat` was sent and covered messages up to `covered` (none: it failed, so
  /// nothing was covered). Returns the held frames to send now, oldest seq first.
  std::vector<std::string> end(std::int64_t chat, std::optional<core::seq_t> covered);
  bool syncing(std::int64_t chat) const noexcept { return open_.contains(chat); }

 private:
  struct held_frame {
    core::seq_t seq;
    std::string frame;
  };
  struct open_sync {
    int depth = 0;  // a client may send two syncs for one chat; the last end releases
    std::optional<core::seq_t> covered;
    std::vector<held_frame> held;
  };
  std::size_t max_held_;
  std::map<std::int64_t, open_sync> open_;
};

}  // namespace tandem::protocol
