// Loads the JSON case files in tests/fixtures, which the Python tests read too, so that both
// languages are held to the same expected answers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tandem::test {

/// Parses tests/fixtures/<relative_path>; throws when the file is missing or malformed.
nlohmann::json load_fixture(std::string const& relative_path);

}  // namespace tandem::test
