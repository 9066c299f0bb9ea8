// Presence on the wire: the channel-layer events announcing a change ("presence.update" to a
// viewer's user group, "presence.members" to a chat's group) and the frame each socket gets,
// worded by the core for that socket's time zone ("presence").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "core/privacy.hpp"
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
/// {"type":"presence.members","user","online","last_seen"}: a change of a user who shows
/// presence to everyone, for the members of the chat group it is sent to (the sender adds the
/// chat's "chat" to each copy, so a socket that left the chat drops it).
nlohmann::ordered_json presence_members_event(presence_entry const& entry);
/// May a socket of `viewer`, whose own setting is `viewer_sees` (nullopt: not known yet), show
/// this presence event? A presence.members event reached every member of a chat: shown only if
/// it is not about the viewer themselves and the viewer's setting allows it
/// (core::may_see_group_presence; unknown: not shown, the socket's snapshot comes after). A
/// presence.update was decided for the viewer alone: shown.
bool presence_event_shown_to(nlohmann::ordered_json const& event, std::int64_t viewer,
                             std::optional<core::visibility> viewer_sees);
/// The entry of a presence.update or presence.members event, or nullopt when it is malformed.
std::optional<presence_entry> presence_entry_from_event(nlohmann::ordered_json const& event);
/// {"type":"presence","users":[{"user","online","last_seen","text"[,"hidden":true]}]}, text as
/// core::last_seen_text words it at `now` in the viewer's zone; a hidden entry says only that
/// (online false, last_seen null, text empty, hidden true).
std::string presence_frame(std::span<presence_entry const> entries, core::unix_ms now, int utc_offset_minutes);

}  // namespace tandem::protocol
