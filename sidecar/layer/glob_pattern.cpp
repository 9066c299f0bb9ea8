// fnmatch.translate turns a bracket into a regex character class with some rewriting (literal
// hyphens and backslashes escaped, reversed ranges removed). This file rebuilds that class text
// the same way and reads it back as Python's sre parser would, so odd patterns agree too.
#include "layer/glob_pattern.hpp"

#include <stdexcept>

namespace tandem::layer {

namespace {

// Backslash-escapes the characters Python escapes inside a class chunk.
std::string
escape_chunk(std::string_view chunk, bool escape_hyphens)
{
  std::string out;
  for (char const c : chunk) {
    if (c == '\\' || c == '&' || c == '~' || c == '|' || (escape_hyphens && c == '-')) out += '\\';
    out += c;
  }
  return out;
}

// fnmatch.translate's class text for pattern[begin, end) (between '[' and ']').
std::string
class_text(std::string_view pattern, std::size_t begin, std::size_t end)
{
  std::string_view const stuff = pattern.substr(begin, end - begin);
  if (stuff.find('-') == std::string_view::npos) return escape_chunk(stuff, false);
  // Split at the hyphens that form ranges: each one ends a chunk, and the next search starts
  // two characters after it, so "a-b-c" is "a" and "b-c".
  std::vector<std::string> chunks;
  std::size_t i = begin;
  std::size_t k = pattern[begin] == '!' ? begin + 2 : begin + 1;
  for (;;) {
    k = k < end ? pattern.find('-', k) : std::string_view::npos;
    if (k == std::string_view::npos || k >= end) break;
    chunks.emplace_back(pattern.substr(i, k - i));
    i = k + 1;
    k += 3;
  }
  if (i < end) chunks.emplace_back(pattern.substr(i, end - i));
  else chunks.back() += '-';
  // Remove empty ranges (like z-a), which Python's re would reject.
  for (std::size_t c = chunks.size() - 1; c > 0; --c) {
    if (static_cast<unsigned char>(chunks[c - 1].back()) > static_cast<unsigned char>(chunks[c].front())) {
      chunks[c - 1] = chunks[c - 1].substr(0, chunks[c - 1].size() - 1) + chunks[c].substr(1);
      chunks.erase(chunks.begin() + static_cast<std::ptrdiff_t>(c));
    }
  }
  std::string text;
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    if (c > 0) text += '-';
    text += escape_chunk(chunks[c], true);
  }
  return text;
}

}  // namespace

glob_pattern::glob_pattern(std::string_view pattern)
{
  std::size_t i = 0;
  while (i < pattern.size()) {
    char const c = pattern[i++];
    if (c == '*') {
      if (tokens_.empty() || tokens_.back().what != kind::any_run) tokens_.push_back({kind::any_run, 0, false, {}});
    } else if (c == '?') {
      tokens_.push_back({kind::any_char, 0, false, {}});
    } else if (c == '[') {
      i = add_bracket(pattern, i);
    } else {
      tokens_.push_back({kind::literal, static_cast<unsigned char>(c), false, {}});
    }
  }
}

// Adds the token for a bracket whose '[' is just before `open`; returns where to continue.
std::size_t
glob_pattern::add_bracket(std::string_view pattern, std::size_t open)
{
  std::size_t j = open;
  if (j < pattern.size() && pattern[j] == '!') ++j;
  if (j < pattern.size() && pattern[j] == ']') ++j;
  while (j < pattern.size() && pattern[j] != ']') ++j;
  if (j >= pattern.size()) {  // no closing bracket: a literal '['
    tokens_.push_back({kind::literal, '[', false, {}});
    return open;
  }
  std::string const text = class_text(pattern, open, j);
  if (text.empty()) {
    tokens_.push_back({kind::never, 0, false, {}});
  } else if (text == "!") {
    tokens_.push_back({kind::any_char, 0, false, {}});
  } else {
    token set{kind::set, 0, text.front() == '!', {}};
    // Read the class as sre does: an item, optionally "-item" to make a range.
    std::size_t p = set.negated ? 1 : 0;
    auto const next_char = [&text, &p] {
      if (text[p] == '\\' && p + 1 < text.size()) ++p;
      return static_cast<unsigned char>(text[p++]);
    };
    while (p < text.size()) {
      unsigned char const lo = next_char();
      if (p + 1 < text.size() && text[p] == '-') {
        ++p;
        unsigned char const hi = next_char();
        if (hi < lo) throw std::invalid_argument{"glob: bad character range in " + std::string{pattern}};
        set.ranges.emplace_back(lo, hi);
      } else {
        set.ranges.emplace_back(lo, lo);
      }
    }
    tokens_.push_back(std::move(set));
  }
  return j + 1;
}

bool
glob_pattern::token_matches(token const& t, unsigned char c) const noexcept
{
  switch (t.what) {
  case kind::literal: return c == t.literal;
  case kind::any_char: return true;
  case kind::set: {
    bool inside = false;
    for (auto const& [lo, hi] : t.ranges) inside = inside || (c >= lo && c <= hi);
    return inside != t.negated;
  }
  case kind::any_run:
  case kind::never: break;
  }
  return false;
}

bool
glob_pattern::matches(std::string_view text) const noexcept
{
  // Classic wildcard matching: on a mismatch, let the last `*` swallow one more character.
  std::size_t t = 0;
  std::size_t s = 0;
  std::size_t star_token = std::string_view::npos;
  std::size_t star_text = 0;
  while (s < text.size()) {
    if (t < tokens_.size() && tokens_[t].what == kind::any_run) {
      star_token = t++;
      star_text = s;
    } else if (t < tokens_.size() && token_matches(tokens_[t], static_cast<unsigned char>(text[s]))) {
      ++t;
      ++s;
    } else if (star_token != std::string_view::npos) {
      t = star_token + 1;
      s = ++star_text;
    } else {
      return false;
    }
  }
  while (t < tokens_.size() && tokens_[t].what == kind::any_run) ++t;
  return t == tokens_.size();
}

}  // namespace tandem::layer
