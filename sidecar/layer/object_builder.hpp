// Builds a message object the way a Python dict fills up: keys in first-insertion order, a
// repeated key keeps its first position and takes the last value. Linear time, where inserting
// into an ordered_json one key at a time is quadratic (its map is a vector searched per key),
// which a hostile payload with many keys would turn into seconds of CPU.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

#include "layer/message.hpp"

namespace tandem::layer {

class object_builder {
public:
  void set(std::string key, message value);

  /// The finished object; the builder is empty afterwards.
  message finish();

private:
  message::object_t entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace tandem::layer
