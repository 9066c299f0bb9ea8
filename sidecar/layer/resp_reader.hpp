// Incremental RESP reply parser over hiredis' redisReader: bytes in, complete replies out.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "layer/resp_value.hpp"

struct redisReader;

namespace tandem::layer {

/// The most elements one array reply may declare. The largest replies Tandem reads are its own
/// ZPOPMIN/ZRANGE batches and pipelined script results, far below this; a header above it is
/// a broken or hostile peer (hiredis 0.14 has no maxelements and would calloc it at once).
inline constexpr std::size_t default_max_array_elements = std::size_t{1} << 20;

class resp_reader {
 public:
  explicit resp_reader(std::size_t max_array_elements = default_max_array_elements);
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

  /// What hiredis' array callback sees of this reader (through its privdata pointer).
  struct array_limit {
    std::size_t max_elements;
    long long refused = -1;  // the declared count that was refused, if any
  };

 private:
  struct free_reader {
    void operator()(redisReader* r) const noexcept;
  };
  void take_error();

  array_limit limit_;
  std::unique_ptr<redisReader, free_reader> reader_;
  std::string error_;
};

}  // namespace tandem::layer
