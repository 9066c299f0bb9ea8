// Error codes of the channel layer's Redis side, as a boost::system error category so they
// travel through Asio completion handlers like any other error_code.
#pragma once

#include <boost/system/error_code.hpp>

namespace tandem::layer {

enum class layer_errc {
  not_connected = 1,  // the shard is down or reconnecting; retry later
  timed_out,          // Redis did not answer in time; the connection was reset
  protocol_error,     // Redis sent bytes that are not RESP
  stopped,            // the layer is shutting down
  redis_error,        // Redis answered with an error reply
  auth_refused,       // Redis refused the endpoint's username/password (AUTH)
};

boost::system::error_category const& layer_category() noexcept;

inline boost::system::error_code
make_error_code(layer_errc e) noexcept
{
  return {static_cast<int>(e), layer_category()};
}

}  // namespace tandem::layer

template <>
struct boost::system::is_error_code_enum<tandem::layer::layer_errc> : std::true_type {};
