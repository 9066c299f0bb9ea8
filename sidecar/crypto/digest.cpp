// Digest helpers on OpenSSL's one-shot SHA256() and HMAC().
#include "crypto/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace tandem::crypto {

std::string
sha1(std::string_view data)
{
  std::string out(SHA_DIGEST_LENGTH, '\0');
  SHA1(reinterpret_cast<unsigned char const*>(data.data()), data.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

void
fill_random(unsigned char* out, std::size_t n)
{
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error{"RAND_bytes failed"};
}

std::string
sha256(std::string_view data)
{
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<unsigned char const*>(data.data()), data.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string
hmac_sha256(std::string_view key, std::string_view data)
{
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<unsigned char const*>(data.data()),
       data.size(), reinterpret_cast<unsigned char*>(out.data()), &length);
  out.resize(length);
  return out;
}

bool
constant_time_equal(std::string_view a, std::string_view b) noexcept
{
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string
to_hex(std::string_view bytes)
{
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xF]);
  }
  return out;
}

}  // namespace tandem::crypto
