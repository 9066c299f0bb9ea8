// Descriptors the process holds back so that, once it runs out of them (EMFILE), its listeners
// can still take waiting connections off their backlogs and answer them 503 instead of leaving
// them hanging. One reserve for the whole process, not a spare per listener: a descriptor a
// listener frees for its accept can be taken first by any thread of the process (another
// listener's accept, a Redis or PostgreSQL reconnect). A listener's own spare would then be gone
// for good and its backlog never answered again; the shared reserve lends any held descriptor
// and tops itself up whenever the process has descriptors to spare.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <vector>

namespace tandem::net {

class descriptor_reserve {
 public:
  /// Holds `size` descriptors (/dev/null); throws std::system_error if they cannot be opened.
  explicit descriptor_reserve(std::size_t size);
  ~descriptor_reserve();
  descriptor_reserve(descriptor_reserve const&) = delete;
  descriptor_reserve& operator=(descriptor_reserve const&) = delete;

  /// Closes one held descriptor, so the caller's next accept has a free slot; false if none is
  /// held (every one was lent or taken elsewhere, and none could be reopened yet). Every loan
  /// ends with give_back.
  bool lend();
  /// Ends a loan. `fd` (an accepted socket, already answered; or -1 if there is none) becomes a
  /// held descriptor in place (dup3), so its slot is never free for another thread to take; if
  /// the reserve is whole without it, it is closed. With -1, the lent slot is reopened if free.
  void give_back(int fd);
  /// Reopens the descriptors the reserve is short of (not counting those lent), as far as the
  /// process has free ones. Takes no lock when the reserve is whole.
  void top_up();
  /// Short of descriptors that are neither held nor lent: some were taken elsewhere.
  bool is_short() const noexcept { return accounted_.load(std::memory_order_relaxed) < size_; }
  std::size_t held() const;

 private:
  void top_up_locked();
  void close_all() noexcept;

  std::size_t const size_;
  int source_;  // /dev/null, never lent: what a descriptor given back is made a duplicate of
  mutable std::mutex mutex_;
  std::vector<int> held_;
  std::size_t lent_ = 0;
  std::atomic<std::size_t> accounted_{0};  // held + lent, for is_short without the lock
};

}  // namespace tandem::net
