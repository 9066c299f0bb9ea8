// Appends to ordered_map's underlying vector directly, keeping a hash index of positions.
#include "layer/object_builder.hpp"

#include <utility>

namespace tandem::layer {

void
object_builder::set(std::string key, message value)
{
  auto const [slot, fresh] = index_.try_emplace(key, entries_.size());
  if (!fresh) {
    entries_.message::object_t::Container::operator[](slot->second).second = std::move(value);
    return;
  }
  entries_.message::object_t::Container::emplace_back(std::move(key), std::move(value));
}

message
object_builder::finish()
{
  message object = message::object();
  object.get_ref<message::object_t&>() = std::move(entries_);
  entries_ = {};
  index_.clear();
  return object;
}

}  // namespace tandem::layer
