// A start is kept with its expiry and the set trimmed of expired entries in one pipeline; a
// reply with an error (-OOM, -READONLY) counts as not kept.
#include "service/adapters/redis_typing_store.hpp"

#include <charconv>

#include "service/adapters/presence_keys.hpp"

namespace tandem::service {

std::string
redis_typing_store::key(std::int64_t chat) const
{
  return keys::typing(layer_.prefix(), chat);
}

awaitable<bool>
redis_typing_store::add(std::int64_t chat, std::string member, core::unix_ms expires_at, core::unix_ms now,
                        std::chrono::milliseconds expiry)
{
  auto const k = key(chat);
  std::vector<std::vector<std::string>> commands;
  commands.push_back({"ZADD", k, std::to_string(expires_at), std::move(member)});
  commands.push_back({"ZREMRANGEBYSCORE", k, "-inf", std::to_string(now)});
  commands.push_back({"PEXPIRE", k, std::to_string(expiry.count())});
  auto const stored = co_await layer_.run_commands(keys::routing_tag(k), std::move(commands));
  co_return !layer::failed(stored);
}

awaitable<void>
redis_typing_store::remove(std::int64_t chat, std::string member)
{
  auto const k = key(chat);
  std::vector<std::vector<std::string>> commands;
  commands.push_back({"ZREM", k, std::move(member)});
  co_await layer_.run_commands(keys::routing_tag(k), std::move(commands));
}

awaitable<std::vector<typist_entry>>
redis_typing_store::current(std::int64_t chat, core::unix_ms now)
{
  auto const k = key(chat);
  std::vector<std::vector<std::string>> commands;
  commands.push_back({"ZRANGEBYSCORE", k, std::to_string(now + 1), "+inf", "WITHSCORES"});
  auto const batch = co_await layer_.run_commands(keys::routing_tag(k), std::move(commands));
  std::vector<typist_entry> out;
  if (batch.ec || batch.replies.empty()) co_return out;
  auto const& list = batch.replies[0].elements;
  for (std::size_t i = 0; i + 1 < list.size(); i += 2) {
    core::unix_ms expires = 0;
    auto const& score = list[i + 1].str;
    std::from_chars(score.data(), score.data() + score.size(), expires);
    out.push_back({list[i].str, expires});
  }
  co_return out;
}

}  // namespace tandem::service
