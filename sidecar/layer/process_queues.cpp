#include "layer/process_queues.hpp"

namespace tandem::layer {

void
process_queues::add(std::weak_ptr<channel_layer> layer, asio::any_io_executor executor)
{
  auto entry = std::make_unique<sibling>();
  entry->layer = std::move(layer);
  entry->executor = std::move(executor);
  layers_.push_back(std::move(entry));
}

process_queues::sibling*
process_queues::at(std::size_t index) const
{
  return index < layers_.size() ? layers_[index].get() : nullptr;
}

}  // namespace tandem::layer
