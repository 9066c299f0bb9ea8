// Incremental RESP reply parser over hiredis' redisReader: bytes in, complete replies out.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "layer/resp_value.hpp"

struct redisReader;

namespace tandem::layer {

class resp_reader {
 public:
  resp_reader();
  ~resp_reader();
  resp_reader(resp_reader const&) = delete;
  resp_reader& operator=(resp_reader const&) = delete;

  /// Hands received bytes to the parser.
  void feed(std::string_view bytes);

  /// The next complete reply, or nullopt when more bytes are needed. A protocol error makes
  /// `failed()` true; the connection must then be dropped.
  std::optional<resp_value> next();

  bool failed() const noexcept { return !error_.empty(); }
  std::string const& error() const noexcept { return error_; }

 private:
  struct free_reader {
    void operator()(redisReader* r) const noexcept;
  };
  std::unique_ptr<redisReader, free_reader> reader_;
  std::string error_;
};

}  // namespace tandem::layer
