// How many messages a channel's queue may hold: channels_redis's capacity and channel_capacity
// (Channels' compile_capacities/get_capacity), patterns compiled once.
#pragma once

#include <cstddef>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "layer/glob_pattern.hpp"

namespace tandem::layer {

class capacity_table {
public:
  /// Patterns in order; the first that matches the full channel name wins, else the default.
  /// A pattern is a glob (fnmatch semantics, whole-name match), or "re:<ECMAScript regex>" for
  /// the compiled regexes Django settings may hold (the management command passes them that
  /// way). A regex matches as Python's re.match does: anchored at the start of the name only,
  /// so "re:chat" also matches "chatroom" unless it ends with '$'. Throws std::invalid_argument
  /// for a pattern that does not compile.
  capacity_table(std::size_t default_capacity, std::vector<std::pair<std::string, std::size_t>> const& patterns);

  std::size_t capacity_for(std::string_view channel) const;

private:
  struct entry {
    std::variant<glob_pattern, std::regex> pattern;
    std::size_t capacity;
  };

  std::size_t default_capacity_;
  std::vector<entry> entries_;
};

}  // namespace tandem::layer
