// Per-socket typist sets; the wording is the core's typing_text.
#include "protocol/typing_view.hpp"

#include "core/typing.hpp"

namespace tandem::protocol {

using ordered_json = nlohmann::ordered_json;

ordered_json
typing_event_json(typing_event const& e)
{
  return {{"type", "chat.typing"}, {"chat", e.chat},     {"user", e.user},         {"name", e.name},
          {"typing", e.typing},    {"expires_at", e.expires_at}, {"order", e.order}};
}

std::optional<typing_event>
typing_event_from_json(ordered_json const& event)
{
  auto const field = [&](char const* name) { return event.find(name); };
  auto const chat = field("chat"), user = field("user"), name = field("name"), typing = field("typing"),
             expires = field("expires_at");
  if (chat == event.end() || !chat->is_number_integer() || user == event.end() || !user->is_number_integer() ||
      typing == event.end() || !typing->is_boolean())
    return std::nullopt;
  typing_event out{chat->get<std::int64_t>(), user->get<std::int64_t>(), {}, typing->get<bool>(), 0};
  if (name != event.end() && name->is_string()) out.name = name->get<std::string>();
  if (expires != event.end() && expires->is_number_integer()) out.expires_at = expires->get<std::int64_t>();
  if (auto const order = field("order"); order != event.end() && order->is_number_integer())
    out.order = order->get<std::int64_t>();
  return out;
}

bool
typing_view::apply(typing_event const& event)
{
  if (event.order != 0) {
    auto& seen = latest_[{event.chat, event.user}];
    if (event.order < seen.order) return false;  // overtaken by a later notice
    seen = {event.order, std::max(seen.keep_until, event.expires_at)};
  }
  auto& typists = chats_[event.chat];
  if (!event.typing) {
    bool const changed = typists.erase(event.user) > 0;
    if (typists.empty()) chats_.erase(event.chat);
    return changed;
  }
  auto [it, added] = typists.try_emplace(event.user, typist{event.name, event.expires_at});
  bool const renamed = !added && it->second.name != event.name;
  it->second = {event.name, event.expires_at};
  return added || renamed;  // a refreshed start changes nothing anyone sees
}

bool
typing_view::forget(std::int64_t chat, std::int64_t user)
{
  return apply({chat, user, {}, false, 0, 0});
}

std::vector<std::int64_t>
typing_view::expire(core::unix_ms now)
{
  std::erase_if(latest_, [now](auto const& entry) { return entry.second.keep_until <= now; });
  std::vector<std::int64_t> changed;
  for (auto chat = chats_.begin(); chat != chats_.end();) {
    auto const before = chat->second.size();
    std::erase_if(chat->second, [now](auto const& entry) { return entry.second.expires_at <= now; });
    if (chat->second.size() != before) changed.push_back(chat->first);
    chat = chat->second.empty() ? chats_.erase(chat) : std::next(chat);
  }
  return changed;
}

std::optional<core::unix_ms>
typing_view::next_expiry() const
{
  std::optional<core::unix_ms> next;
  for (auto const& [chat, typists] : chats_)
    for (auto const& [user, t] : typists)
      if (!next || t.expires_at < *next) next = t.expires_at;
  return next;
}

std::string
typing_view::frame(std::int64_t chat) const
{
  ordered_json users = ordered_json::array();
  std::vector<std::string> names;
  if (auto const it = chats_.find(chat); it != chats_.end()) {
    for (auto const& [user, t] : it->second) {
      users.push_back({{"user", user}, {"name", t.name}});
      names.push_back(t.name);
    }
  }
  ordered_json const frame = {
      {"type", "typing"}, {"chat", chat}, {"users", std::move(users)}, {"text", core::typing_text(names)}};
  return frame.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace tandem::protocol
