// URL-safe base64 (RFC 4648 §5) over OpenSSL's codec: Django's signing strips the '=' padding,
// Fernet keeps it; decoding accepts both.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tandem::crypto {

std::string base64url_encode(std::string_view bytes, bool pad);

/// nullopt for characters outside the URL-safe alphabet or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace tandem::crypto
