// SHA-256 and HMAC-SHA256 over OpenSSL, returning raw digests, plus a constant-time compare.
#pragma once

#include <string>
#include <string_view>

namespace tandem::crypto {

std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Equality that takes the same time wherever the inputs differ (for signatures and tokens).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// Lower-case hex of raw bytes.
std::string to_hex(std::string_view bytes);

}  // namespace tandem::crypto
