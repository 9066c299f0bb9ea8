// Presence on the wire: the channel-layer event announcing a change ("presence.update") and the
// frame each socket gets, worded by the core for that socket's time zone ("presence").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "core/time.hpp"

namespace tandem::protocol {

struct presence_entry {
  std::int64_t user = 0;
  bool online = false;
  std::optional<core::unix_ms> last_seen;
  /// The viewer may no longer see this user's presence (a privacy change, sent by Django): the
  /// client forgets what it showed. Nothing else of the user is told.
  bool hidden = false;
};

/// {"type":"presence.update","user","online","last_seen"[,"hidden":true]}.
nlohmann::ordered_json presence_event(presence_entry const& entry);
/// The entry of a presence.update event, or nullopt when it is malformed.
std::optional<presence_entry> presence_entry_from_event(nlohmann::ordered_json const& event);
/// {"type":"presence","users":[{"user","online","last_seen","text"[,"hidden":true]}]}, text as
/// core::last_seen_text words it at `now` in the viewer's zone; a hidden entry says only that
/// (online false, last_seen null, text empty, hidden true).
std::string presence_frame(std::span<presence_entry const> entries, core::unix_ms now, int utc_offset_minutes);

}  // namespace tandem::protocol
