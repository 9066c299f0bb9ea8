// What one I/O thread last told each sender about its ticks in each chat. The last receipts of
// a group message race one another: each applies its marker, then (a separate statement, so it
// sees the others' commits) finds that the sender's minimum moved, and each would tell the
// sender the same "delivered up to N". Remembering what was told lets the first one through
// and drops the repeats, so a sender hears each move once per thread instead of once per
// racing member (61 status frames per message of a 1,000-member group, measured, before).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "core/receipt_news.hpp"

namespace tandem::core {

class told_ticks {
 public:
  /// At most `capacity` (chat, sender, kind) entries; when full, everything is forgotten at
  /// once (a repeat after that is harmless: clients ignore a tick that does not move).
  explicit told_ticks(std::size_t capacity) : capacity_{capacity} {}

  /// True, and remembered, when `news` moves the sender's tick in `chat` beyond what this
  /// thread told before; false for a repeat or an older tick.
  bool first_to_tell(std::int64_t chat, status_news const& news);
  /// The telling of `news` failed (the layer did not take it): forgotten, unless a later tick
  /// was told meanwhile, so a racing receipt that finds the same news may still tell it.
  void not_told(std::int64_t chat, status_news const& news);

  std::size_t size() const noexcept { return told_.size(); }

 private:
  struct key {
    std::int64_t chat = 0;
    std::int64_t sender = 0;
    receipt_kind kind = receipt_kind::delivered;
    bool operator==(key const&) const = default;
  };
  struct key_hash {
    std::size_t operator()(key const& k) const noexcept;
  };

  std::size_t capacity_;
  std::unordered_map<key, seq_t, key_hash> told_;
};

}  // namespace tandem::core
