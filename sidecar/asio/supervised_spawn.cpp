// The failure counter and log line behind spawn().
#include "asio/supervised_spawn.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace tandem {

namespace {
std::atomic<std::uint64_t> failures{0};
}  // namespace

std::uint64_t
coroutine_failures() noexcept
{
  return failures.load(std::memory_order_relaxed);
}

namespace detail {

void
record_coroutine_failure(std::string_view name, std::exception_ptr const& failure) noexcept
{
  failures.fetch_add(1, std::memory_order_relaxed);
  try {
    std::rethrow_exception(failure);
  } catch (std::exception const& e) {
    spdlog::error("event=coroutine_failed name={} error=\"{}\"", name, e.what());
  } catch (...) {
    spdlog::error("event=coroutine_failed name={} error=\"unknown exception\"", name);
  }
}

}  // namespace detail

}  // namespace tandem
