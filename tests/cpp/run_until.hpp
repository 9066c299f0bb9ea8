// Driving an io_context from a test until a condition holds, with a generous limit: these
// tests run on a busy two-core machine, sometimes under sanitizers.
#pragma once

#include <chrono>
#include <functional>

#include "asio/asio.hpp"

namespace tandem::testing {

/// Runs `ctx` until `done()` or `limit`. True if done.
bool run_until(asio::io_context& ctx, std::function<bool()> const& done,
               std::chrono::milliseconds limit = std::chrono::seconds{60});

}  // namespace tandem::testing
