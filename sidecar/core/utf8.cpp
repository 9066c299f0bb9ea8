// A table-free UTF-8 validator following RFC 3629's well-formed byte sequences.
#include "core/utf8.hpp"

namespace tandem::core {

namespace {

// Length of the sequence starting with `lead` and the allowed range of its second byte
// (RFC 3629 section 4); 0 for a byte that cannot start a sequence.
struct lead_info {
  int length;
  unsigned char second_min;
  unsigned char second_max;
};

lead_info
classify(unsigned char lead) noexcept
{
  if (lead < 0x80) return {1, 0, 0};
  if (lead >= 0xC2 && lead <= 0xDF) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};
  if (lead == 0xED) return {3, 0x80, 0x9F};  // no UTF-16 surrogates
  if (lead >= 0xE1 && lead <= 0xEF) return {3, 0x80, 0xBF};
  if (lead == 0xF0) return {4, 0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return {4, 0x80, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};  // nothing above U+10FFFF
  return {0, 0, 0};
}

}  // namespace

std::optional<std::u32string>
utf8_decode(std::string_view text)
{
  if (!utf8_code_points(text)) return std::nullopt;
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto const lead = static_cast<unsigned char>(text[i]);
    auto const length = static_cast<std::size_t>(classify(lead).length);
    // The payload bits of the lead byte, then six bits per continuation byte.
    char32_t point = length == 1 ? lead : lead & (0x7Fu >> length);
    for (std::size_t k = 1; k < length; ++k) point = (point << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    out.push_back(point);
    i += length;
  }
  return out;
}

std::optional<std::size_t>
utf8_code_points(std::string_view text) noexcept
{
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    auto const info = classify(static_cast<unsigned char>(text[i]));
    if (info.length == 0 || i + static_cast<std::size_t>(info.length) > text.size()) return std::nullopt;
    if (info.length > 1) {
      auto const second = static_cast<unsigned char>(text[i + 1]);
      if (second < info.second_min || second > info.second_max) return std::nullopt;
      for (int k = 2; k < info.length; ++k) {
        auto const cont = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
        if (cont < 0x80 || cont > 0xBF) return std::nullopt;
      }
    }
    i += static_cast<std::size_t>(info.length);
    ++count;
  }
  return count;
}

}  // namespace tandem::core
