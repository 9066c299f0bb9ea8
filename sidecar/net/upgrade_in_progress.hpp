// One upgrade between its last drain check and the moment its socket counts as open. A drain
// waits while any exist (the client may already hold the 101), so none is stopped under its
// session and cut without a close frame.
#pragma once

#include <utility>

#include "ops/metrics.hpp"

namespace tandem::net {

class upgrade_in_progress {
 public:
  /// Counts the upgrade at once (sequentially consistent: a drain sets `draining`, then reads
  /// the counts; the upgrade counts itself, then reads `draining`, so one of the two sees the
  /// other). `tearing_down` is the worker's flag: while it is set the counter may be gone.
  upgrade_in_progress(ops::counter& upgrading, bool const& tearing_down)
      : upgrading_{&upgrading}, tearing_down_{&tearing_down}
  {
    upgrading_->fetch_add(1);
  }
  upgrade_in_progress(upgrade_in_progress&& other) noexcept
      : upgrading_{std::exchange(other.upgrading_, nullptr)}, tearing_down_{other.tearing_down_}
  {
  }
  upgrade_in_progress& operator=(upgrade_in_progress&&) = delete;
  upgrade_in_progress(upgrade_in_progress const&) = delete;
  upgrade_in_progress& operator=(upgrade_in_progress const&) = delete;
  ~upgrade_in_progress()
  {
    if (!*tearing_down_) done();
  }

  /// The socket is open (counted elsewhere from now on) or its upgrade failed.
  void done() noexcept
  {
    if (auto* counter = std::exchange(upgrading_, nullptr)) counter->fetch_sub(1);
  }

 private:
  ops::counter* upgrading_;
  bool const* tearing_down_;
};

}  // namespace tandem::net
