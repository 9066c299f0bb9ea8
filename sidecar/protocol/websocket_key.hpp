// RFC 6455 section 4.2.1: a handshake's Sec-WebSocket-Key is a base64-encoded 16-byte nonce;
// anything else is a bad request (400), however lenient the WebSocket library is.
#pragma once

#include <string_view>

namespace tandem::protocol {

/// Exactly 24 characters of canonical base64 that decode to 16 bytes ("...==").
bool is_valid_websocket_key(std::string_view key) noexcept;

}  // namespace tandem::protocol
