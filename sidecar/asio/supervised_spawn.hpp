// Starting a coroutine that nobody awaits. asio::detached drops an escaping exception without a
// trace (Boost 1.74), so a session that throws would skip its cleanup and a loop that throws
// would stop for good, silently. Every such start goes through spawn(): a failure is logged
// with the coroutine's name, counted (tandem_coroutine_failures_total) and handed to an
// optional callback, which is how loops that must always run get restarted.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <string_view>
#include <utility>

#include "asio/asio.hpp"

namespace tandem {

/// Coroutines that ended with an exception since the process started (all threads).
std::uint64_t coroutine_failures() noexcept;

namespace detail {
void record_coroutine_failure(std::string_view name, std::exception_ptr const& failure) noexcept;
}  // namespace detail

/// What to do after a coroutine failed (already logged and counted).
using on_coroutine_failure = std::function<void()>;

/// Runs `work` (an awaitable, or a callable returning one) on `executor`; a result is dropped. `name` must
/// outlive the coroutine (a string literal).
template <typename Where, typename Work>
void
spawn(Where&& where, std::string_view name, Work&& work, on_coroutine_failure on_failure = {})
{
  // `where`: an executor or an io_context (taken by reference, as co_spawn wants it).
  asio::co_spawn(where, std::forward<Work>(work),
                 // (exception_ptr) for awaitable<void>, (exception_ptr, T) for awaitable<T>.
                 [name, on_failure = std::move(on_failure)](std::exception_ptr failure, auto&&...) {
                   if (!failure) return;
                   detail::record_coroutine_failure(name, failure);
                   if (on_failure) on_failure();
                 });
}

}  // namespace tandem
