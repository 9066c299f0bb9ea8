// Globs go through glob_pattern; "re:" patterns through std::regex with match_continuous,
// which anchors at the start like Python's pattern.match(channel).
#include "layer/capacity_table.hpp"

#include <stdexcept>
#include <type_traits>

namespace tandem::layer {

namespace {

constexpr std::string_view regex_marker = "re:";

std::variant<glob_pattern, std::regex>
compile(std::string const& pattern)
{
  if (!pattern.starts_with(regex_marker)) return glob_pattern{pattern};
  try {
    return std::regex{pattern.substr(regex_marker.size()), std::regex::ECMAScript};
  } catch (std::regex_error const& e) {
    throw std::invalid_argument{"channel_capacity: bad regex " + pattern + ": " + e.what()};
  }
}

}  // namespace

capacity_table::capacity_table(std::size_t default_capacity,
                               std::vector<std::pair<std::string, std::size_t>> const& patterns)
    : default_capacity_{default_capacity}
{
  entries_.reserve(patterns.size());
  for (auto const& [pattern, capacity] : patterns) entries_.push_back({compile(pattern), capacity});
}

std::size_t
capacity_table::capacity_for(std::string_view channel) const
{
  for (auto const& e : entries_) {
    bool const hit = std::visit(
        [channel](auto const& pattern) {
          if constexpr (std::is_same_v<std::decay_t<decltype(pattern)>, glob_pattern>) {
            return pattern.matches(channel);
          } else {
            return std::regex_search(channel.begin(), channel.end(), pattern,
                                     std::regex_constants::match_continuous);
          }
        },
        e.pattern);
    if (hit) return e.capacity;
  }
  return default_capacity_;
}

}  // namespace tandem::layer
