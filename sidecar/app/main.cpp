// tandem-sidecar entry point: configuration, logging, then the server until it drains.
#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>

#include "app/config_loader.hpp"
#include "app/open_files_limit.hpp"
#include "app/server.hpp"
#include "ops/logging.hpp"

int
main(int argc, char** argv)
{
  auto loaded = tandem::app::load_config(argc, argv);
  if (loaded.exit_now) return loaded.exit_code;
  // A value that cannot be read is an error for --print-config too (it printed the defaults in
  // its place and exited 0); only the checks of a complete configuration are left to a start.
  if (!loaded.error.empty()) {
    std::cerr << "tandem-sidecar: configuration error: " << loaded.error << '\n';
    return 2;
  }
  if (loaded.print_config) {
    std::cout << tandem::app::render_config(loaded.config);
    return 0;
  }
  // Made before anything that logs and shut down after everything that logs has ended.
  tandem::ops::log_service logs;
  auto const log_error = logs.configure(loaded.config.log_level, loaded.config.log_format,
                                        static_cast<std::size_t>(loaded.config.log_queue_lines));
  if (!log_error.empty()) {
    std::cerr << "tandem-sidecar: configuration error: " << log_error << '\n';
    return 2;
  }
  auto const files = tandem::app::raise_open_files_limit();
  if (files.error.empty())
    spdlog::info("event=open_files_limit soft={} hard={} raised_from={}", files.soft, files.hard, files.before);
  else
    spdlog::warn("event=open_files_limit soft={} hard={} error={}", files.soft, files.hard,
                 tandem::ops::logfmt_value(files.error));
  int status = 1;
  try {
    // run() joins every I/O thread; the server's destructor ends the rest of what logs.
    tandem::app::server server{std::move(loaded.config)};
    status = server.run();
  } catch (std::exception const& e) {
    spdlog::critical("event=startup_failed error={}", tandem::ops::logfmt_value(e.what()));
  }
  logs.shutdown();  // last: writes out the queue, joins the log thread, then frees the sink here
  return status;
}
