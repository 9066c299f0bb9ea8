// libFuzzer target: a sorted-set member as Redis hands it back (random prefix, then msgpack or
// JSON, optionally Fernet-encrypted). deserialize never throws, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "layer/serializer.hpp"

namespace {

void
zero_fill(unsigned char* out, std::size_t n)
{
  std::memset(out, 0, n);
}

}  // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
  using namespace tandem::layer;
  static serializer const plain_msgpack{{}, zero_fill};
  static serializer const plain_json{{serializer_format::json, {}, 12, 60}, zero_fill};
  static serializer const encrypted{{serializer_format::msgpack, {"my-secret"}, 12, 60}, zero_fill};
  std::string_view const stored{reinterpret_cast<char const*>(data), size};
  std::int64_t const now_s = 1700000000;
  (void)plain_msgpack.deserialize(stored, now_s);
  (void)plain_json.deserialize(stored, now_s);
  (void)encrypted.deserialize(stored, now_s);
  return 0;
}
