#include "layer/process_queues.hpp"

namespace tandem::layer {

void
process_queues::add(std::string queue_key, std::weak_ptr<channel_layer> layer, asio::any_io_executor executor)
{
  auto entry = std::make_unique<sibling>();
  entry->layer = std::move(layer);
  entry->executor = std::move(executor);
  by_key_.insert_or_assign(std::move(queue_key), std::move(entry));
}

process_queues::sibling*
process_queues::find(std::string const& queue_key) const
{
  auto const found = by_key_.find(queue_key);
  return found == by_key_.end() ? nullptr : found->second.get();
}

}  // namespace tandem::layer
