// Reads fixture files from the source tree (path fixed at build time).
#include "fixtures.hpp"

#include <fstream>
#include <stdexcept>

namespace tandem::test {

nlohmann::json
load_fixture(std::string const& relative_path)
{
  std::string const path = std::string{TANDEM_FIXTURES_DIR} + "/" + relative_path;
  std::ifstream in{path};
  if (!in) throw std::runtime_error{"cannot open fixture " + path};
  return nlohmann::json::parse(in);
}

}  // namespace tandem::test
