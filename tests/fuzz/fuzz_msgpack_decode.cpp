// libFuzzer target: msgpack bytes from a channels_redis peer. Decoding never throws, and what it
// accepts must encode again (the sidecar re-encodes layer events) to bytes that decode and
// encode to themselves (compared as bytes: NaN is a valid float and never equals itself).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "layer/msgpack_codec.hpp"

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
  using namespace tandem::layer;
  auto const decoded = decode_msgpack({reinterpret_cast<char const*>(data), size});
  if (!decoded.value) return 0;
  std::string encoded;
  try {
    encoded = encode_msgpack(*decoded.value);
  } catch (std::invalid_argument const&) {
    std::abort();  // accepted on the way in but refused on the way out
  }
  auto const again = decode_msgpack(encoded);
  if (!again.value || encode_msgpack(*again.value) != encoded) std::abort();
  return 0;
}
