// Waits until a condition holds or a time limit passes, looking again every `every`. For the
// drain's waits on state that other coroutines (or other threads) change with no completion to
// await: publishes in flight, commands answered, sibling workers done. Each runs once, at exit,
// so a short poll costs nothing worth a notification mechanism.
//
// Pass `done` as a named variable, never as a lambda written inside the co_await expression:
// GCC 12 destroys such a temporary's captures twice (see bounded_for_each.hpp).
#pragma once

#include <chrono>

#include "asio/asio.hpp"

namespace tandem {

/// True when `done()` held before `limit` ran out.
template <typename Done>
awaitable<bool>
poll_until(Done done, std::chrono::milliseconds limit, std::chrono::milliseconds every)
{
  auto const give_up = std::chrono::steady_clock::now() + limit;
  asio::steady_timer pause{co_await asio::this_coro::executor};
  while (!done()) {
    if (std::chrono::steady_clock::now() >= give_up) co_return false;
    pause.expires_after(every);
    error_code ec;
    co_await pause.async_wait(as_value(ec));
  }
  co_return true;
}

}  // namespace tandem
