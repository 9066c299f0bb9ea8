// tandem-sidecar entry point: parses the command line and runs the server. For now the server
// side is not wired in; the binary reports its version and the rules it was built with.
#include <CLI/CLI.hpp>

#include <iostream>

#include "core/backoff.hpp"
#include "core/frame_rules.hpp"
#include "core/version.hpp"

int
main(int argc, char** argv)
{
  CLI::App app{"Tandem: a WebSocket sidecar speaking the channels_redis protocol for Django sites",
               "tandem-sidecar"};
  app.set_version_flag("--version", std::string{"tandem-sidecar "} + std::string{tandem::core::version});
  bool show_limits = false;
  app.add_flag("--show-limits", show_limits, "Print the built-in default limits and exit");
  CLI11_PARSE(app, argc, argv);

  if (show_limits) {
    tandem::core::frame_limits const limits;
    std::cout << "max_body_chars=" << limits.max_body_chars << '\n'
              << "max_client_id_len=" << limits.max_client_id_len << '\n'
              << "reconnect_attempts=" << tandem::core::reconnect_backoff.max_attempts << '\n'
              << "message_retry_attempts=" << tandem::core::message_retry_backoff.max_attempts << '\n';
    return 0;
  }
  std::cerr << "tandem-sidecar: the server is not built yet in this version; see --help\n";
  return 2;
}
