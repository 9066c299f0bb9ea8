// One I/O thread's world: its io_context, its channel-layer peer (own process queue), its
// PostgreSQL pool and its sockets. Nothing here is shared with other threads, so the hot path
// takes no locks.
#pragma once

#include <memory>

#include "asio/asio.hpp"
#include "layer/channel_layer.hpp"
#include "net/process_state.hpp"
#include "net/session_verifier.hpp"
#include "net/websocket_hub.hpp"
#include "ops/metrics.hpp"
#include "store/django_tables.hpp"
#include "store/pg_pool.hpp"

namespace tandem::net {

struct io_worker {
  io_worker(process_state& shared, layer::layer_config layer_config, store::pg_pool_config pool_config,
            store::table_names const& tables);

  /// Starts the layer; its messages go to the hub's sockets.
  void start();
  /// Asks every socket to close with `code` after flushing what is queued.
  void close_all(std::uint16_t code);
  void stop();

  asio::io_context ioc{1};
  process_state& process;
  std::shared_ptr<layer::channel_layer> layer;
  store::pg_pool pool;
  store::django_tables tables;
  session_verifier verifier;
  websocket_hub hub;
  ops::thread_metrics metrics;

 private:
  /// Copies layer and pool state into `metrics` once a second (see ops::thread_metrics).
  awaitable<void> publish_stats();
  asio::steady_timer publish_timer_{ioc};
};

}  // namespace tandem::net
