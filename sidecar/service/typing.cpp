// Forwarding decisions are the core's (on_typing_start / on_typing_stop / on_message_sent);
// this file only remembers the state per (user, chat) and publishes what the core forwards.
#include "service/typing.hpp"

#include <algorithm>
#include <charconv>

namespace tandem::service {

typing::typing(typing_store& store, message_bus& bus, clock const& clock, typing_settings const& settings,
               messaging_settings const& groups, ops::thread_metrics& metrics)
    : store_{store}, bus_{bus}, clock_{clock}, settings_{settings}, groups_{groups}, metrics_{metrics}
{
}

awaitable<void>
typing::start(std::int64_t user, std::string const& name, std::int64_t chat)
{
  auto const now = clock_.wall_ms();
  auto& state = typists_[{user, chat}];
  auto const step = core::on_typing_start(state, now, settings_.policy);
  state = step.state;
  co_await forward(user, name, chat, step.forward, now);
}

awaitable<void>
typing::stop(std::int64_t user, std::string const& name, std::int64_t chat)
{
  auto const it = typists_.find({user, chat});
  if (it == typists_.end()) co_return;
  auto const now = clock_.wall_ms();
  auto const step = core::on_typing_stop(it->second, now);
  typists_.erase(it);  // nothing to remember once stopped
  co_await forward(user, name, chat, step.forward, now);
}

awaitable<void>
typing::message_sent(std::int64_t user, std::string const& name, std::int64_t chat)
{
  auto const it = typists_.find({user, chat});
  if (it == typists_.end()) co_return;
  auto const now = clock_.wall_ms();
  auto const step = core::on_message_sent(it->second, now);
  typists_.erase(it);
  co_await forward(user, name, chat, step.forward, now);
}

awaitable<void>
typing::forward(std::int64_t user, std::string const& name, std::int64_t chat, core::typing_signal signal,
                core::unix_ms now)
{
  if (signal == core::typing_signal::none) co_return;
  bool const on = signal == core::typing_signal::start;
  auto const expires_at = now + settings_.policy.server_expiry_ms;
  auto const member = std::to_string(user) + ":" + name;
  if (on) {
    bool const kept =
        co_await store_.add(chat, member, expires_at, now, std::chrono::milliseconds{settings_.policy.server_expiry_ms});
    // A start the store did not keep (-OOM, -READONLY) would show a typist that new sockets
    // never see; a stop is still broadcast, so nobody stays "typing" on screen.
    if (!kept) co_return;
  } else {
    co_await store_.remove(chat, member);
  }
  metrics_.typing_forwards.fetch_add(1, std::memory_order_relaxed);
  // Microseconds of wall time, forced to increase: orders this worker's notices.
  last_order_ = std::max(last_order_ + 1, now * 1000);
  protocol::typing_event const event{chat, user, name, on, expires_at, last_order_};
  co_await bus_.group_send(groups_.chat_group_prefix + std::to_string(chat), protocol::typing_event_json(event));
}

awaitable<std::vector<protocol::typing_event>>
typing::current(std::int64_t chat)
{
  auto const now = clock_.wall_ms();
  auto const entries = co_await store_.current(chat, now);
  std::vector<protocol::typing_event> out;
  for (auto const& entry : entries) {
    // "<user id>:<display name>": the name may hold colons, the id never does.
    auto const colon = entry.member.find(':');
    if (colon == std::string::npos) continue;
    std::int64_t user = 0;
    auto const parsed = std::from_chars(entry.member.data(), entry.member.data() + colon, user);
    if (parsed.ec != std::errc{} || parsed.ptr != entry.member.data() + colon) continue;
    out.push_back({chat, user, entry.member.substr(colon + 1), true, entry.expires_at, 0});
  }
  co_return out;
}

}  // namespace tandem::service
