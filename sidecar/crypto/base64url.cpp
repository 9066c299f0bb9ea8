// base64url on top of EVP_EncodeBlock/EVP_DecodeBlock (standard alphabet, padded), translating
// the two alphabet differences and restoring padding before decoding.
#include "crypto/base64url.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <vector>

namespace tandem::crypto {

std::string
base64url_encode(std::string_view bytes, bool pad)
{
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  int const n = EVP_EncodeBlock(out.data(), reinterpret_cast<unsigned char const*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  std::string text{reinterpret_cast<char const*>(out.data()), static_cast<std::size_t>(n)};
  std::replace(text.begin(), text.end(), '+', '-');
  std::replace(text.begin(), text.end(), '/', '_');
  if (!pad) text.erase(text.find_last_not_of('=') + 1);
  return text;
}

std::optional<std::string>
base64url_decode(std::string_view text)
{
  std::string standard{text};
  while (!standard.empty() && standard.back() == '=') standard.pop_back();
  std::size_t const unpadded = standard.size();
  if (unpadded % 4 == 1) return std::nullopt;
  for (char& c : standard) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return std::nullopt;  // not URL-safe input
  }
  standard.append((4 - unpadded % 4) % 4, '=');
  std::vector<unsigned char> out(standard.size() / 4 * 3 + 1);
  int const n = EVP_DecodeBlock(out.data(), reinterpret_cast<unsigned char const*>(standard.data()),
                                static_cast<int>(standard.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  std::size_t const length = static_cast<std::size_t>(n) - (standard.size() - unpadded);
  return std::string{reinterpret_cast<char const*>(out.data()), length};
}

}  // namespace tandem::crypto
