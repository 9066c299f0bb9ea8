// Sec-WebSocket-Key: 16 bytes of base64, nothing else.
#include "protocol/websocket_key.hpp"

#include <catch2/catch.hpp>

using tandem::protocol::is_valid_websocket_key;

TEST_CASE("a base64 nonce of 16 bytes is a valid key", "[protocol][websocket_key]")
{
  CHECK(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));  // RFC 6455's example
  CHECK(is_valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  CHECK(is_valid_websocket_key("/+/+/+/+/+/+/+/+/+/+/w=="));
}

TEST_CASE("other lengths, alphabets and padding are refused", "[protocol][websocket_key]")
{
  for (auto const* key : {"", "x", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===",
                          "dGhlIHNhbXBsZSBub25jZR==",  // 22nd digit carries non-zero padding bits
                          "dGhlIHNhbXBsZSBub25j*Q==", "dGhlIHNhbXBsZSBub25jZQ-=", "AAAAAAAAAAAAAAAAAAAAAAAA",
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}) {
    INFO(key);
    CHECK_FALSE(is_valid_websocket_key(key));
  }
}
