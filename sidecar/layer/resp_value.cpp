// RESP request encoding: *N\r\n then $len\r\narg\r\n per argument (binary safe).
#include "layer/resp_value.hpp"

namespace tandem::layer {

void
append_command(std::string& out, std::vector<std::string> const& args)
{
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (auto const& arg : args) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out += arg;
    out += "\r\n";
  }
}

}  // namespace tandem::layer
