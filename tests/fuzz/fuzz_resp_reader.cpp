// libFuzzer target: bytes from a Redis server (or whatever answers on its port), fed to the RESP
// reader in two pieces as a socket would deliver them; every reply is drained.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "layer/resp_reader.hpp"

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
  if (size == 0) return 0;
  std::string_view const bytes{reinterpret_cast<char const*>(data) + 1, size - 1};
  std::size_t const split = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);
  tandem::layer::resp_reader reader;
  for (auto piece : {bytes.substr(0, split), bytes.substr(split)}) {
    reader.feed(piece);
    while (!reader.failed() && reader.next()) {
    }
    if (reader.failed()) return 0;
  }
  return 0;
}
