// WhatsApp's privacy rules: who sees a user's online status and last seen (everyone, contacts,
// nobody; reciprocal: who shows it to nobody sees no one's), and when read receipts show
// (always in groups; in a 1:1 chat only when both people have them on).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem::core {

/// Values are stored (tandem_usersettings.presence_visibility) and sent on the wire by name.
enum class visibility : std::uint8_t { everyone = 0, contacts = 1, nobody = 2 };

std::string_view visibility_name(visibility v) noexcept;
std::optional<visibility> visibility_from_name(std::string_view name) noexcept;
/// The stored value (tandem_usersettings.presence_visibility, Django's PresenceVisibility): a
/// value this build does not know (a newer app's, or one written by hand) hides the user, as
/// "nobody" does, rather than showing them to everyone.
visibility visibility_from_number(std::int64_t value) noexcept;

/// May `viewer` see `owner`'s online status and last seen? `are_contacts`: they share a 1:1
/// chat (Tandem's notion of a contact). A user always sees their own.
bool may_see_presence(visibility owner, visibility viewer, bool are_contacts, bool same_user) noexcept;

/// Are read receipts exchanged between a sender and a reader in this chat?
bool read_receipts_shown(bool is_group, bool sender_receipts_on, bool reader_receipts_on) noexcept;

}  // namespace tandem::core
