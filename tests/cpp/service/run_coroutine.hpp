// Runs one coroutine of a use case to its end on a test's io_context (with run_until's
// generous limit) and hands back its result; an exception it threw is rethrown here.
#pragma once

#include <catch2/catch.hpp>

#include <exception>
#include <optional>
#include <utility>

#include "asio/asio.hpp"
#include "run_until.hpp"

namespace tandem::testing {

template <typename T>
T
run_coroutine(asio::io_context& ctx, awaitable<T> work)
{
  std::optional<T> result;
  std::exception_ptr failure;
  bool done = false;
  asio::co_spawn(ctx, std::move(work), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) result = std::move(value);
    done = true;
  });
  REQUIRE(run_until(ctx, [&] { return done; }));
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

inline void
run_coroutine(asio::io_context& ctx, awaitable<void> work)
{
  std::exception_ptr failure;
  bool done = false;
  asio::co_spawn(ctx, std::move(work), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  REQUIRE(run_until(ctx, [&] { return done; }));
  if (failure) std::rethrow_exception(failure);
}

/// Lets whatever is ready on `ctx` run for `span` (for "nothing more happens" checks).
inline void
run_for(asio::io_context& ctx, std::chrono::milliseconds span)
{
  ctx.restart();
  ctx.run_for(span);
}

}  // namespace tandem::testing
