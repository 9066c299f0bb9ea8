// Forwarding decisions are the core's (on_typing_start / on_typing_stop / on_message_sent);
// this file only remembers the state per (user, chat) and publishes what the core forwards.
#include "service/typing.hpp"

#include <charconv>

#include "service/presence.hpp"

namespace tandem::service {

typing::typing(layer::channel_layer& layer, typing_settings const& settings, messaging_settings const& groups,
               ops::thread_metrics& metrics)
    : layer_{layer}, settings_{settings}, groups_{groups}, metrics_{metrics}
{
}

std::string
typing::key(std::int64_t chat) const
{
  return layer_.prefix() + "tandem:typing:" + std::to_string(chat);
}

awaitable<void>
typing::start(std::int64_t user, std::string const& name, std::int64_t chat)
{
  auto const now = wall_ms();
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
  auto const now = wall_ms();
  auto const step = core::on_typing_stop(it->second, now);
  typists_.erase(it);  // nothing to remember once stopped
  co_await forward(user, name, chat, step.forward, now);
}

awaitable<void>
typing::message_sent(std::int64_t user, std::string const& name, std::int64_t chat)
{
  auto const it = typists_.find({user, chat});
  if (it == typists_.end()) co_return;
  auto const now = wall_ms();
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
  std::vector<std::vector<std::string>> commands;
  if (on) {
    commands.push_back({"ZADD", key(chat), std::to_string(expires_at), member});
    commands.push_back({"ZREMRANGEBYSCORE", key(chat), "-inf", std::to_string(now)});
    commands.push_back({"PEXPIRE", key(chat), std::to_string(settings_.policy.server_expiry_ms)});
  } else {
    commands.push_back({"ZREM", key(chat), member});
  }
  auto const stored = co_await layer_.run_commands(key(chat), std::move(commands));
  // A start Redis did not keep (-OOM, -READONLY) would show a typist that new sockets never
  // see; a stop is still broadcast, so nobody stays "typing" on screen.
  if (on && layer::failed(stored)) co_return;
  metrics_.typing_forwards.fetch_add(1, std::memory_order_relaxed);
  // Microseconds of wall time, forced to increase: orders this worker's notices.
  last_order_ = std::max(last_order_ + 1, now * 1000);
  protocol::typing_event const event{chat, user, name, on, expires_at, last_order_};
  co_await layer_.group_send(groups_.chat_group_prefix + std::to_string(chat), protocol::typing_event_json(event));
}

awaitable<std::vector<protocol::typing_event>>
typing::current(std::int64_t chat)
{
  auto const now = wall_ms();
  std::vector<std::vector<std::string>> commands{
      {"ZRANGEBYSCORE", key(chat), std::to_string(now + 1), "+inf", "WITHSCORES"}};
  auto const batch = co_await layer_.run_commands(key(chat), std::move(commands));
  std::vector<protocol::typing_event> out;
  if (batch.ec || batch.replies.empty()) co_return out;
  auto const& list = batch.replies[0].elements;
  for (std::size_t i = 0; i + 1 < list.size(); i += 2) {
    auto const& member = list[i].str;
    auto const colon = member.find(':');
    if (colon == std::string::npos) continue;
    std::int64_t user = 0;
    std::from_chars(member.data(), member.data() + colon, user);
    std::int64_t expires = 0;
    std::from_chars(list[i + 1].str.data(), list[i + 1].str.data() + list[i + 1].str.size(), expires);
    out.push_back({chat, user, member.substr(colon + 1), true, expires, 0});
  }
  co_return out;
}

}  // namespace tandem::service
