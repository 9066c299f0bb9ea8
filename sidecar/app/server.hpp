// The running sidecar: one io_worker per thread, listeners on each, signal handling and the
// drain on SIGTERM/SIGINT (stop accepting, /readyz 503, close sockets with 1012 after flushing,
// leave groups, exit within drain_deadline).
#pragma once

#include <boost/asio/signal_set.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "app/sidecar_config.hpp"
#include "net/descriptor_reserve.hpp"
#include "net/io_worker.hpp"
#include "net/listener.hpp"
#include "net/process_state.hpp"

namespace tandem::app {

class server {
 public:
  explicit server(sidecar_config config);
  ~server();
  /// Runs until drained; the process exit code.
  int run();

 private:
  void start_drain();
  void finish_when_drained(std::chrono::steady_clock::time_point deadline);

  sidecar_config config_;
  std::unique_ptr<net::process_state> process_;
  std::unique_ptr<net::descriptor_reserve> descriptors_;  // the listeners' reserve for EMFILE
  std::vector<std::unique_ptr<net::io_worker>> workers_;
  std::vector<std::shared_ptr<net::listener>> listeners_;
  std::vector<std::thread> threads_;
  std::unique_ptr<asio::steady_timer> drain_timer_;
  std::unique_ptr<asio::signal_set> signals_;
  std::chrono::steady_clock::time_point drain_started_;
};

}  // namespace tandem::app
