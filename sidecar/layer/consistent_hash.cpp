// CRC-32 from zlib, the same polynomial and bit order as Python's binascii.crc32.
#include "layer/consistent_hash.hpp"

#include <zlib.h>

namespace tandem::layer {

std::size_t
shard_index(std::string_view name, std::size_t ring_size) noexcept
{
  if (ring_size <= 1) return 0;
  // zlib takes a uInt length; feed long names in chunks (channel names are < 100 bytes anyway).
  uLong crc = crc32(0L, Z_NULL, 0);
  auto const* data = reinterpret_cast<Bytef const*>(name.data());
  std::size_t left = name.size();
  while (left > 0) {
    auto const chunk = static_cast<uInt>(left < (1u << 30) ? left : (1u << 30));
    crc = crc32(crc, data, chunk);
    data += chunk;
    left -= chunk;
  }
  auto const bits = static_cast<double>(crc & 0xFFFu);
  // Python: int(bits / (4096 / float(ring_size))). Keep the same two divisions so the
  // rounding at the ring borders is identical.
  double const divisor = 4096.0 / static_cast<double>(ring_size);
  return static_cast<std::size_t>(bits / divisor);
}

}  // namespace tandem::layer
