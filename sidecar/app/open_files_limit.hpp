// Every socket is a descriptor, and the soft limit a process inherits is often 1024 while the
// hard limit allows far more: the sidecar raises its own soft limit to the hard one at start.
#pragma once

#include <cstdint>
#include <string>

namespace tandem::app {

struct open_files_limit {
  std::uint64_t before = 0;  // the inherited soft limit
  std::uint64_t soft = 0;    // the soft limit now
  std::uint64_t hard = 0;
  std::string error;         // why it could not be raised (the limit stays `before`)
};

/// Raises RLIMIT_NOFILE's soft limit to its hard limit.
open_files_limit raise_open_files_limit();

}  // namespace tandem::app
