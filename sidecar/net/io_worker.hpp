// One I/O thread's world: its io_context, its channel-layer peer (own process queue), its
// PostgreSQL pool and its sockets. Nothing here is shared with other threads, so the hot path
// takes no locks. This is where each thread's use cases are wired to the real adapters (the
// ports in service/ports); the settings come from the process (app/server.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "asio/asio.hpp"
#include "asio/handoff_queue.hpp"
#include "layer/channel_layer.hpp"
#include "net/decoded_event.hpp"
#include "net/process_state.hpp"
#include "net/session_verifier.hpp"
#include "net/websocket_hub.hpp"
#include "ops/metrics.hpp"
#include "service/adapters/layer_message_bus.hpp"
#include "service/adapters/pg_message_store.hpp"
#include "service/adapters/pg_presence_records.hpp"
#include "service/adapters/redis_presence_store.hpp"
#include "service/adapters/redis_typing_store.hpp"
#include "service/messaging.hpp"
#include "service/ports/clock.hpp"
#include "service/presence.hpp"
#include "service/typing.hpp"
#include "store/django_tables.hpp"
#include "store/message_store.hpp"
#include "store/pg_pool.hpp"
#include "store/presence_tables.hpp"

namespace tandem::net {

struct io_worker {
  io_worker(process_state& shared, layer::layer_config layer_config, store::pg_pool_config pool_config,
            store::table_names const& tables);
  ~io_worker();
  io_worker(io_worker const&) = delete;
  io_worker& operator=(io_worker const&) = delete;

  /// Starts the layer; its messages go to the hub's sockets. One worker per process also runs
  /// the housekeeping (purging expired pending deliveries).
  void start(bool housekeeping);
  /// A drain: asks every socket to close with `code` after flushing what is queued. Their
  /// channels leave their groups at once (layer::leave_all_groups: one ZREM per group, not one
  /// per socket), and presence leaves their counts to the lease's release (presence::leaving).
  void close_all(std::uint16_t code);
  /// The end of a drain, once the sockets are closed: settles presence (this worker's lease is
  /// released, users in their grace period settled), waits for the group discards of the
  /// closed sockets to reach Redis (bounded by `limit`), then stops the worker and its loop.
  awaitable<void> wind_down(std::chrono::milliseconds limit);
  void stop();
  /// Every socket of this thread may have missed live messages: each gets a `resync` frame
  /// with `reason` (docs/protocol.md) and syncs. Runs on this worker's thread.
  void tell_sockets_to_resync(std::string_view reason);

  /// Set when the worker is being destroyed: coroutine frames destroyed with `ioc` must not
  /// clean up through members that are already gone. Declared before `ioc` so it outlives it.
  bool tearing_down = false;
  asio::io_context ioc{1};
  process_state& process;
  std::shared_ptr<layer::channel_layer> layer;
  store::pg_pool pool;
  store::django_tables tables;
  store::message_store messages;
  store::presence_tables people;
  session_verifier verifier;
  websocket_hub hub;
  ops::thread_metrics metrics;
  service::system_clock clock;
  // The use cases' ports over this thread's layer and pool.
  service::layer_message_bus bus{*layer};
  service::pg_message_store message_port{messages, pool};
  service::pg_presence_records presence_rows{people};
  service::redis_presence_store presence_counts{*layer};
  service::redis_typing_store typists{*layer};
  service::messaging chat;
  service::presence presence;
  service::typing typing;
  /// Upgrades of this thread between their cheap checks and their session verdict: capped
  /// (max_pending_handshakes) so a flood of junk upgrades cannot queue without bound on the
  /// database pool.
  std::size_t pending_handshakes = 0;
  /// Upgrades waiting for one of those places, served in arrival order (http_session).
  handoff_queue<bool> handshake_turns{ioc.get_executor()};
  /// Publishes of stored messages started by this thread's sockets and not finished: a drain
  /// waits for them, so no message acknowledged before the close goes unannounced.
  std::size_t publishes_in_flight = 0;

 private:
  /// Copies layer and pool state into `metrics` once a second (see ops::thread_metrics).
  awaitable<void> publish_stats();
  awaitable<void> purge_pending();
  /// Presence's barrier in a drain (presence::before_telling_release): this worker has counted
  /// its sockets out; waits until every worker of the process has, for at most
  /// sibling_release_wait (one whose Redis is unreachable never will).
  awaitable<void> siblings_counted_out();
  asio::steady_timer publish_timer_{ioc};
  asio::steady_timer purge_timer_{ioc};
  /// The layer message being handed to this worker's sockets, decoded once (see decoded_event).
  std::shared_ptr<decoded_event const> decoded_;
  std::uint64_t decoded_serial_ = 0;
};

}  // namespace tandem::net
