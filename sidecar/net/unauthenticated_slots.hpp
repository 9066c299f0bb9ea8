// Connections that have not yet proven who they are (accepted, request not yet upgraded) cost a
// descriptor each and nothing else: capped per source address and in total, so idle TCP
// connections from a few addresses cannot use up the descriptors everyone else needs.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tandem::net {

struct unauthenticated_caps {
  std::int64_t per_address = 256;  // max_unauthenticated_per_address
  std::int64_t total = 2048;       // max_unauthenticated
};

/// Why a new connection was shed; in the order of ops::shed_reasons (the metric's labels).
enum class shed_reason : std::uint8_t { per_address, total, descriptors };

class unauthenticated_slots;

/// One admitted connection's place; given back when it upgrades, or when it is destroyed.
class unauthenticated_slot {
 public:
  unauthenticated_slot() = default;
  unauthenticated_slot(unauthenticated_slots* owner, std::string address) : owner_{owner}, address_{std::move(address)} {}
  unauthenticated_slot(unauthenticated_slot&& other) noexcept;
  unauthenticated_slot& operator=(unauthenticated_slot&& other) noexcept;
  unauthenticated_slot(unauthenticated_slot const&) = delete;
  unauthenticated_slot& operator=(unauthenticated_slot const&) = delete;
  ~unauthenticated_slot() { release(); }

  void release() noexcept;

 private:
  unauthenticated_slots* owner_ = nullptr;
  std::string address_;
};

/// Process-wide counts (every I/O thread accepts); touched once per connection, not per message.
class unauthenticated_slots {
 public:
  struct verdict {
    bool admitted = false;
    shed_reason reason = shed_reason::total;  // meaningful when not admitted
  };

  /// Counts one more connection from `address` unless a cap is reached.
  verdict admit(std::string const& address, unauthenticated_caps const& caps);
  unauthenticated_slot slot_for(std::string address) { return {this, std::move(address)}; }
  std::int64_t total() const;

 private:
  friend class unauthenticated_slot;
  void release(std::string const& address) noexcept;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> per_address_;
  std::int64_t total_ = 0;
};

}  // namespace tandem::net
