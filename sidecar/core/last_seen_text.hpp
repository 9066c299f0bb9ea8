// Presence wording shown under a contact's name: "Online", "last seen just now",
// "last seen 5 minutes ago", "last seen today at 14:05", "last seen yesterday at 09:30",
// "last seen on 2 Nov 2026", or "Offline" when the user was never seen.
#pragma once

#include <optional>
#include <string>

#include "core/time.hpp"

namespace tandem::core {

/// `utc_offset_minutes` is the viewer's offset from UTC (e.g. +60 for CET in winter); days and
/// clock times are the viewer's. A last_seen in the future (clock skew) reads "just now".
std::string last_seen_text(bool online, std::optional<unix_ms> last_seen, unix_ms now,
                           int utc_offset_minutes = 0);

}  // namespace tandem::core
