// Messages of the channel layer's error category.
#include "layer/layer_error.hpp"

#include <string>

namespace tandem::layer {

namespace {

class category final : public boost::system::error_category {
 public:
  char const* name() const noexcept override { return "tandem.layer"; }
  std::string message(int value) const override
  {
    switch (static_cast<layer_errc>(value)) {
      case layer_errc::not_connected: return "Redis shard is not connected";
      case layer_errc::timed_out: return "Redis did not answer in time";
      case layer_errc::protocol_error: return "Redis sent an unreadable reply";
      case layer_errc::stopped: return "channel layer is stopping";
      case layer_errc::redis_error: return "Redis answered with an error";
      case layer_errc::auth_refused: return "Redis refused the username or password";
    }
    return "unknown channel layer error";
  }
};

}  // namespace

boost::system::error_category const&
layer_category() noexcept
{
  static category const instance;
  return instance;
}

}  // namespace tandem::layer
