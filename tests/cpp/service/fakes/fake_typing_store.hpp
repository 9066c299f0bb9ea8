// In-memory typists per chat with their expiries. Faults: a failing add is not kept (false),
// a failing remove leaves the entry, a failing read answers nobody.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "fakes/fault_plan.hpp"
#include "service/ports/typing_store.hpp"

namespace tandem::fakes {

class fake_typing_store final : public service::typing_store {
 public:
  awaitable<bool> add(std::int64_t chat, std::string member, core::unix_ms expires_at, core::unix_ms now,
                      std::chrono::milliseconds expiry) override
  {
    co_await wait_for(faults.delay);
    if (faults.take() != fault::none) co_return false;
    auto& typists = chats[chat];
    std::erase_if(typists, [now](auto const& entry) { return entry.second <= now; });
    typists[std::move(member)] = expires_at;
    last_expiry = expiry;
    co_return true;
  }
  awaitable<void> remove(std::int64_t chat, std::string member) override
  {
    co_await wait_for(faults.delay);
    if (faults.take() != fault::none) co_return;
    chats[chat].erase(member);
  }
  awaitable<std::vector<service::typist_entry>> current(std::int64_t chat, core::unix_ms now) override
  {
    co_await wait_for(faults.delay);
    std::vector<service::typist_entry> out;
    if (faults.take() != fault::none) co_return out;
    for (auto const& [member, expires] : chats[chat])
      if (expires > now) out.push_back({member, expires});
    co_return out;
  }

  fault_plan faults;
  std::map<std::int64_t, std::map<std::string, core::unix_ms>> chats;  // chat → member → expiry
  std::chrono::milliseconds last_expiry{0};
};

}  // namespace tandem::fakes
