// Runs one coroutine per item with at most `limit` of them in flight, and returns when every
// item is done. For work that is one short round trip chain per item (settling each user of a
// worker at exit): in sequence it costs items × round trips; all at once it would swamp the
// pools it goes through. Items are started in order; a failing item is logged by spawn() and
// the others go on.
//
// Pass `work` as a named variable, never as a lambda (or any aggregate) written inside the
// co_await expression: GCC 12 destroys the captures of such a temporary twice, so a captured
// shared_ptr is released one time too many and what it owns is freed while still in use
// (tests/cpp/asio/test_bounded_for_each.cpp shows it; scripts/check_coroutine_temporaries.py
// keeps lambdas out of co_await expressions).
//
// Threading: one executor, like everything it serves.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "asio/asio.hpp"
#include "asio/supervised_spawn.hpp"

namespace tandem {

template <typename Item, typename Work>
awaitable<void>
for_each_bounded(asio::any_io_executor executor, std::string_view name, std::vector<Item> items, std::size_t limit,
                 Work work)
{
  if (items.empty()) co_return;
  struct shared_state {
    shared_state(asio::any_io_executor ex, std::vector<Item> i, Work w)
        : items(std::move(i)), work(std::move(w)), all_done(std::move(ex), asio::steady_timer::time_point::max())
    {
    }
    std::vector<Item> items;
    Work work;  // kept here: the coroutines it makes may refer to its captures
    std::size_t next = 0;
    std::size_t running = 0;
    asio::steady_timer all_done;
  };
  auto shared = std::make_shared<shared_state>(executor, std::move(items), std::move(work));
  auto const runners = std::clamp<std::size_t>(limit, 1, shared->items.size());
  shared->running = runners;
  for (std::size_t i = 0; i < runners; ++i) {
    spawn(executor, name, [](std::shared_ptr<shared_state> s) -> awaitable<void> {
      struct done_guard {
        shared_state& s;
        ~done_guard()
        {
          if (--s.running == 0) s.all_done.cancel();
        }
      } guard{*s};
      while (s->next < s->items.size()) {
        auto& item = s->items[s->next++];  // work may take it by reference and move from it
        co_await s->work(item);
      }
    }(shared));
  }
  while (shared->running > 0) {
    error_code ec;
    co_await shared->all_done.async_wait(as_value(ec));
  }
}

}  // namespace tandem
