// Which Redis host of an ordered list owns a name: channels_redis's utils._consistent_hash, so
// Tandem and Python processes agree on the shard of every channel and group.
#pragma once

#include <cstddef>
#include <string_view>

namespace tandem::layer {

/// 0 for a ring of one (or none); otherwise the CRC-32 of the UTF-8 bytes, kept to 12 bits and
/// scaled onto the ring with floating-point division, exactly as Python computes it.
std::size_t shard_index(std::string_view name, std::size_t ring_size) noexcept;

}  // namespace tandem::layer
