#include "run_until.hpp"

namespace tandem::testing {

bool
run_until(asio::io_context& ctx, std::function<bool()> const& done, std::chrono::milliseconds limit)
{
  auto const deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ctx.restart();
    ctx.run_for(std::chrono::milliseconds{10});
  }
  return true;
}

}  // namespace tandem::testing
