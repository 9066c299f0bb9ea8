// Presence frames: the wording is computed per socket, so each viewer reads it in their zone.
#include "protocol/presence_frames.hpp"

#include "core/last_seen_text.hpp"
#include "core/presence_audience.hpp"

namespace tandem::protocol {

using ordered_json = nlohmann::ordered_json;

ordered_json
presence_event(presence_entry const& entry)
{
  ordered_json event = {{"type", "presence.update"},
                        {"user", entry.user},
                        {"online", entry.online},
                        {"last_seen", entry.last_seen ? ordered_json(*entry.last_seen) : ordered_json(nullptr)}};
  if (entry.hidden) event["hidden"] = true;
  return event;
}

ordered_json
presence_members_event(presence_entry const& entry)
{
  auto event = presence_event(entry);
  event["type"] = "presence.members";
  return event;
}

bool
presence_event_shown_to(ordered_json const& event, std::int64_t viewer, std::optional<core::visibility> viewer_sees)
{
  auto const type = event.find("type");
  if (type == event.end() || *type != "presence.members") return true;
  auto const user = event.find("user");
  if (user != event.end() && user->is_number_integer() && user->get<std::int64_t>() == viewer) return false;
  return viewer_sees && core::may_see_group_presence(*viewer_sees);
}

std::optional<presence_entry>
presence_entry_from_event(ordered_json const& event)
{
  auto const user = event.find("user");
  auto const online = event.find("online");
  auto const seen = event.find("last_seen");
  if (user == event.end() || !user->is_number_integer() || online == event.end() || !online->is_boolean())
    return std::nullopt;
  presence_entry entry{user->get<std::int64_t>(), online->get<bool>(), std::nullopt, false};
  if (seen != event.end() && seen->is_number_integer()) entry.last_seen = seen->get<std::int64_t>();
  auto const hidden = event.find("hidden");
  if (hidden != event.end()) {
    if (!hidden->is_boolean()) return std::nullopt;
    entry.hidden = hidden->get<bool>();
  }
  if (entry.hidden) {
    // Whatever the event carried, a hidden entry tells the viewer nothing about the user.
    entry.online = false;
    entry.last_seen.reset();
  }
  return entry;
}

std::string
presence_frame(std::span<presence_entry const> entries, core::unix_ms now, int utc_offset_minutes)
{
  ordered_json users = ordered_json::array();
  for (auto const& e : entries) {
    if (e.hidden) {
      users.push_back({{"user", e.user}, {"online", false}, {"last_seen", nullptr}, {"text", ""}, {"hidden", true}});
      continue;
    }
    users.push_back({{"user", e.user},
                     {"online", e.online},
                     {"last_seen", e.last_seen ? ordered_json(*e.last_seen) : ordered_json(nullptr)},
                     {"text", core::last_seen_text(e.online, e.last_seen, now, utc_offset_minutes)}});
  }
  ordered_json const frame = {{"type", "presence"}, {"users", std::move(users)}};
  return frame.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace tandem::protocol
