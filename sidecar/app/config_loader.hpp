// Builds sidecar_config from flags, TANDEM_* environment variables and a TOML file, in that
// order of precedence (docs/configuration.md), and prints it back with secrets masked.
#pragma once

#include <optional>
#include <string>

#include "app/sidecar_config.hpp"

namespace tandem::app {

struct load_result {
  sidecar_config config;
  std::string error;            // set when the configuration is unusable
  bool exit_now = false;        // --help / --version were answered
  int exit_code = 0;
  bool print_config = false;    // --print-config
};

load_result load_config(int argc, char** argv);

/// TOML text of the effective configuration; secrets (and passwords inside URLs and the libpq
/// string) are replaced by "***".
std::string render_config(sidecar_config const& config);

}  // namespace tandem::app
