#include "net/descriptor_reserve.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tandem::net {

namespace {

// Each held descriptor is its own open file, not a duplicate: out of files system-wide (ENFILE),
// closing a duplicate would free nothing.
int
open_null() noexcept
{
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

}  // namespace

descriptor_reserve::descriptor_reserve(std::size_t size) : size_{size}, source_{open_null()}
{
  if (source_ >= 0) top_up();
  if (source_ < 0 || is_short()) {
    auto const error = errno;
    close_all();
    throw std::system_error{error, std::generic_category(), "descriptor reserve: open /dev/null"};
  }
}

descriptor_reserve::~descriptor_reserve()
{
  close_all();
}

void
descriptor_reserve::close_all() noexcept
{
  for (int fd : held_) ::close(fd);
  held_.clear();
  if (source_ >= 0) ::close(source_);
  source_ = -1;
}

std::size_t
descriptor_reserve::held() const
{
  std::lock_guard lock{mutex_};
  return held_.size();
}

bool
descriptor_reserve::lend()
{
  int fd = -1;
  {
    std::lock_guard lock{mutex_};
    if (held_.empty()) return false;
    fd = held_.back();
    held_.pop_back();
    ++lent_;  // still accounted for: top_up must leave this slot to the borrower's accept
  }
  ::close(fd);
  return true;
}

void
descriptor_reserve::give_back(int fd)
{
  std::unique_lock lock{mutex_};
  --lent_;
  // dup3 closes the socket and reuses its slot in one step: no window for another thread.
  if (fd >= 0 && held_.size() + lent_ < size_ && ::dup3(source_, fd, O_CLOEXEC) == fd) {
    held_.push_back(fd);
    fd = -1;
  }
  top_up_locked();
  lock.unlock();
  if (fd >= 0) ::close(fd);
}

void
descriptor_reserve::top_up()
{
  if (!is_short()) return;  // the common case, on every accept: no lock
  std::lock_guard lock{mutex_};
  top_up_locked();
}

void
descriptor_reserve::top_up_locked()
{
  while (held_.size() + lent_ < size_) {
    int const fd = open_null();
    if (fd < 0) break;  // still out of descriptors; the next attempt tries again
    held_.push_back(fd);
  }
  accounted_.store(held_.size() + lent_, std::memory_order_relaxed);
}

}  // namespace tandem::net
