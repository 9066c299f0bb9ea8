// getrlimit/setrlimit; RLIM_INFINITY is reported as the largest value.
#include "app/open_files_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace tandem::app {

open_files_limit
raise_open_files_limit()
{
  open_files_limit out;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.error = std::strerror(errno);
    return out;
  }
  out.before = out.soft = limit.rlim_cur;
  out.hard = limit.rlim_max;
  if (limit.rlim_cur == limit.rlim_max) return out;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.error = std::strerror(errno);
    return out;
  }
  out.soft = limit.rlim_cur;
  return out;
}

}  // namespace tandem::app
