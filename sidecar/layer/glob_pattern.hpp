// A shell-style pattern with Python's fnmatch.translate semantics (`*`, `?`, `[seq]`, `[!seq]`,
// an unclosed `[` taken literally, reversed ranges dropped), matched against a whole string.
// Channels compiles channel_capacity keys this way.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::layer {

class glob_pattern {
public:
  /// Throws std::invalid_argument where Python's re.compile of the translation would fail.
  explicit glob_pattern(std::string_view pattern);

  /// Whole-string match. Works on bytes: the channel names it is used for are ASCII.
  bool matches(std::string_view text) const noexcept;

private:
  enum class kind { literal, any_char, any_run, set, never };
  struct token {
    kind what = kind::literal;
    unsigned char literal = 0;
    bool negated = false;
    std::vector<std::pair<unsigned char, unsigned char>> ranges;  // for sets: inclusive ranges
  };

  std::size_t add_bracket(std::string_view pattern, std::size_t open);
  bool token_matches(token const& t, unsigned char c) const noexcept;

  std::vector<token> tokens_;
};

}  // namespace tandem::layer
