// SHA-1, SHA-256 and HMAC-SHA256 over OpenSSL, returning raw digests, a constant-time compare
// and the random source every token and nonce comes from.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tandem::crypto {

/// SHA-1 only names Lua scripts for EVALSHA (Redis's choice), never for security.
std::string sha1(std::string_view data);
std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Equality that takes the same time wherever the inputs differ (for signatures and tokens).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// Fills `out` from OpenSSL's CSPRNG; throws std::runtime_error if it cannot.
void fill_random(unsigned char* out, std::size_t n);

/// Lower-case hex of raw bytes.
std::string to_hex(std::string_view bytes);

}  // namespace tandem::crypto
