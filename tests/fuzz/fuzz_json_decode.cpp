// libFuzzer target: JSON text from a channels_redis peer (serializer_format="json"). Decoding
// never throws, and what it accepts must encode again and decode to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "layer/json_codec.hpp"

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
  using namespace tandem::layer;
  auto const decoded = decode_json({reinterpret_cast<char const*>(data), size});
  if (!decoded.value) return 0;
  std::string encoded;
  try {
    encoded = encode_json(*decoded.value);
  } catch (std::invalid_argument const&) {
    std::abort();  // accepted on the way in but refused on the way out
  }
  auto const again = decode_json(encoded);
  if (!again.value || *again.value != *decoded.value) std::abort();
  return 0;
}
