// Who is told of a user's presence change, and how. Everyone the privacy rules allow is told,
// either through their own user group (one send each) or, for the many who share only a group
// chat with the user, through that chat's group (one send reaches every member). A user whose
// group has a thousand members arriving at once otherwise cost a thousand sends per arrival: a
// million Redis scripts for the group, most of an avalanche's work.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/privacy.hpp"

namespace tandem::core {

/// Someone who shares a chat with the user whose presence changed.
struct presence_viewer {
  std::int64_t user = 0;
  bool direct = false;   // shares a 1:1 chat with the user: a contact
  bool grouped = false;  // shares a group chat with the user
  visibility sees = visibility::everyone;  // the viewer's own setting (reciprocal)
};

struct presence_audience {
  /// Told through their user group: every socket of theirs hears it.
  std::vector<std::int64_t> users;
  /// Told through the chat's group: every member's sockets in that group hear it, and each
  /// shows it only if its own user may see a presence shown to everyone
  /// (may_see_group_presence). Empty when telling each viewer takes fewer sends, or when the
  /// rules allow only contacts.
  std::vector<std::int64_t> group_chats;
};

/// The audience of a change of a user whose setting is `owner`, who is a member of the group
/// chats `group_chats`. Group chats are used only when the owner shows presence to everyone
/// (then the viewer's own setting alone decides, and each socket knows its own) and when that
/// takes fewer sends than telling each viewer who shares only a group. Contacts are always told
/// in person: a socket opened on a 1:1 chat is not in the user's group chats, yet shows the
/// contact's presence (a contact who also shares a group hears it twice; a socket shows the
/// latest).
presence_audience plan_presence_audience(visibility owner, std::span<presence_viewer const> viewers,
                                         std::span<std::int64_t const> group_chats);

/// May a socket of a user whose setting is `viewer` show a change sent to a whole group chat
/// (the owner shows presence to everyone)? The rule of may_see_presence for that owner.
bool may_see_group_presence(visibility viewer) noexcept;

}  // namespace tandem::core
