// Wiring of one thread's parts; the layer's messages are handed to the socket that owns the
// channel (dropped and counted when that socket has just gone).
#include "net/io_worker.hpp"

#include <spdlog/spdlog.h>

#include "asio/poll_until.hpp"
#include "asio/supervised_spawn.hpp"
#include "net/websocket_session.hpp"

namespace tandem::net {

io_worker::io_worker(process_state& shared, layer::layer_config layer_config, store::pg_pool_config pool_config,
                     store::table_names const& table_names)
    : process{shared},
      layer{layer::channel_layer::create(ioc.get_executor(), std::move(layer_config))},
      pool{ioc.get_executor(), std::move(pool_config)},
      tables{pool, table_names},
      messages{pool, shared.messaging.receipt_batch_max, shared.messaging.send_batch_max},
      people{pool},
      verifier{shared.sessions, tables},
      chat{ioc.get_executor(), message_port, bus, clock, shared.messaging, metrics},
      presence{ioc.get_executor(), presence_counts, presence_rows, bus, clock, shared.presence, shared.messaging, metrics},
      typing{typists, bus, clock, shared.typing, shared.messaging, metrics}
{
}

io_worker::~io_worker()
{
  tearing_down = true;
}

void
io_worker::start(bool housekeeping)
{
  layer->mirror_readiness(&metrics.layer_ready);
  layer->on_reconnect([this] {
    // The layer was unreachable for a while: every socket may have missed live messages.
    tell_sockets_to_resync("layer_reconnected");
    // The counts Redis lost (or a sweep took) come back from the hub's truth, and no lease is
    // swept until every live worker had the time to renew on this (maybe new) master.
    presence.store_reconnected();
  });
  // A message the layer dropped for one of this thread's sockets (its thread was far behind, or
  // its delivery threw): that socket's client syncs, as after its own queue overflowed.
  layer->on_missed([this](std::string const& channel) {
    if (auto session = hub.find(channel)) session->resync_hint("delivery_dropped");
  });
  layer->start([this](std::string const& channel, layer::message const& msg) {
    auto session = hub.find(channel);
    if (!session) {
      metrics.layer_events_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // A group message arrives once listing all its local members: decode it for the first only.
    if (!decoded_ || decoded_serial_ != layer->message_serial()) {
      decoded_ = std::make_shared<decoded_event const>(msg);
      decoded_serial_ = layer->message_serial();
    }
    auto const decoded = decoded_;  // ours, even if a delivery were to reach the layer again
    session->deliver(msg, *decoded);
  });
  // A dead peer's lease was swept (by this worker or any other, in any process): it may have
  // acknowledged sends it never published. Every socket of this thread is told, not only those
  // sharing a chat with the dead lease's users: which chats those sends went to is known only
  // to PostgreSQL, and a crash is rare enough that one sync per open chat is cheap.
  presence.on_lease_swept([this] { tell_sockets_to_resync("peer_lost"); });
  presence.before_telling_release([this] { return siblings_counted_out(); });
  spawn(ioc, "worker_publish_stats", [this] { return publish_stats(); });
  chat.start();
  presence.start();
  if (housekeeping) spawn(ioc, "worker_purge_pending", [this] { return purge_pending(); });
}

void
io_worker::tell_sockets_to_resync(std::string_view reason)
{
  auto const sessions = hub.all();
  if (!sessions.empty()) spdlog::info("event=resync_hint sockets={} reason={}", sessions.size(), reason);
  for (auto const& session : sessions) session->resync_hint(reason);
}

awaitable<void>
io_worker::purge_pending()
{
  // Several processes may purge at once; DELETE ... WHERE expires_at < now() is idempotent.
  for (;;) {
    purge_timer_.expires_after(process.messaging.pending_purge_interval);
    error_code ec;
    co_await purge_timer_.async_wait(as_value(ec));
    if (ec) co_return;
    if (auto const purged = co_await messages.purge_expired_pending()) {
      metrics.pending_purged.fetch_add(static_cast<std::uint64_t>(*purged), std::memory_order_relaxed);
      if (*purged > 0) spdlog::info("event=pending_purged count={}", *purged);
    }
  }
}

awaitable<void>
io_worker::publish_stats()
{
  for (;;) {
    auto const& stats = layer->stats();
    metrics.layer_received.store(stats.received, std::memory_order_relaxed);
    metrics.layer_sent.store(stats.sent, std::memory_order_relaxed);
    metrics.layer_sibling_posts.store(stats.sibling_posts, std::memory_order_relaxed);
    metrics.layer_sibling_received.store(stats.sibling_received, std::memory_order_relaxed);
    metrics.layer_group_sends.store(stats.group_sends, std::memory_order_relaxed);
    metrics.layer_send_full.store(stats.send_full, std::memory_order_relaxed);
    metrics.layer_local_deliveries.store(stats.local_deliveries, std::memory_order_relaxed);
    metrics.layer_redis_commands.store(layer->commands_sent(), std::memory_order_relaxed);
    // In ops::layer_drop_reasons order.
    std::array<std::uint64_t, ops::layer_drop_reasons.size()> const dropped{
        stats.dropped_expired, stats.dropped_undecodable, stats.dropped_unknown_channel,
        stats.delivery_failures + stats.sibling_failures};
    for (std::size_t i = 0; i < dropped.size(); ++i)
      metrics.layer_received_dropped[i].store(dropped[i], std::memory_order_relaxed);
    metrics.receipt_statements.store(messages.receipt_statements(), std::memory_order_relaxed);
    metrics.send_statements.store(messages.send_statements(), std::memory_order_relaxed);
    metrics.redis_shards.store(layer->shard_count(), std::memory_order_relaxed);
    metrics.redis_shards_connected.store(layer->ready() ? layer->shard_count() : 0, std::memory_order_relaxed);
    metrics.layer_loop_restarts.store(stats.loop_restarts, std::memory_order_relaxed);
    metrics.layer_group_over_capacity.store(stats.group_over_capacity, std::memory_order_relaxed);
    metrics.layer_pending_messages.store(layer->pending_messages(), std::memory_order_relaxed);
    metrics.layer_pending_dropped.store(stats.pending_dropped, std::memory_order_relaxed);
    metrics.layer_missed_told.store(stats.missed_told, std::memory_order_relaxed);
    metrics.postgres_breaker_state.store(static_cast<std::uint64_t>(pool.breaker_state()), std::memory_order_relaxed);
    publish_timer_.expires_after(std::chrono::seconds{1});
    error_code ec;
    co_await publish_timer_.async_wait(as_value(ec));
    if (ec) co_return;
  }
}

void
io_worker::close_all(std::uint16_t code)
{
  presence.leaving();
  // All in one go while Redis is there; otherwise each socket's close discards its own groups
  // (after a reconnect has put them back), as before a drain.
  if (layer->can_write()) layer->leave_all_groups();
  for (auto const& session : hub.all()) session->close_soon(code, "service restart");
}

awaitable<void>
io_worker::siblings_counted_out()
{
  // Every worker releases within moments of the others (each once its own sockets closed), so
  // this is a few round trips at most; the bound only matters when a sibling cannot release.
  constexpr auto sibling_release_wait = std::chrono::milliseconds{500};
  process.leases_counted_out.fetch_add(1);
  auto const all_counted_out = [this] { return process.leases_counted_out.load() >= process.metrics.size(); };
  co_await poll_until(all_counted_out, sibling_release_wait, std::chrono::milliseconds{2});
}

awaitable<void>
io_worker::wind_down(std::chrono::milliseconds limit)
{
  auto const started = std::chrono::steady_clock::now();
  auto const give_up = started + limit;
  auto left = [&] {
    auto const now = std::chrono::steady_clock::now();
    return now < give_up ? std::chrono::duration_cast<std::chrono::milliseconds>(give_up - now)
                         : std::chrono::milliseconds{0};
  };
  // First the messages acknowledged before the sockets closed (their publishes, and any
  // waiting for the layer), then the group discards (the drain's own and those of sockets
  // whose groups it could not leave at once), then the lease, then what the release sent.
  auto const published_all = [this] { return publishes_in_flight == 0; };
  co_await poll_until(published_all, left(), std::chrono::milliseconds{5});
  co_await chat.drain_publishes(left());
  auto const published = std::chrono::steady_clock::now();
  co_await layer->settle(left());
  auto const discarded = std::chrono::steady_clock::now();
  // Acknowledged messages still unpublished (or losses untold) at the deadline: the worker
  // leaves as one that died, its lease left to run out, so the other processes' sockets get
  // `peer_lost` and sync (docs/protocol.md, `resync`); a release would hide the loss.
  bool const unpublished = chat.unpublished();
  if (unpublished) spdlog::warn("event=exit_with_unpublished_messages action=presence_lease_left_to_expire");
  // The thread's own connections decide, not the reader's: the first thread's layer may stop
  // (its wind-down ended) while this one still releases.
  if (layer->can_write() && !unpublished)
    co_await presence.release();
  else
    process.leases_counted_out.fetch_add(1);  // nothing of this worker's for the others to wait for
  auto const released = std::chrono::steady_clock::now();
  co_await layer->settle(left());
  // Where a slow drain spent its time, step by step.
  auto const ms = [](auto from, auto to) { return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count(); };
  spdlog::info("event=worker_wound_down publishes_ms={} discards_ms={} presence_release_ms={} settle_ms={}",
               ms(started, published), ms(published, discarded), ms(discarded, released),
               ms(released, std::chrono::steady_clock::now()));
  stop();
  ioc.stop();
}

void
io_worker::stop()
{
  publish_timer_.cancel();
  purge_timer_.cancel();
  presence.stop();
  chat.stop();
  layer->stop();
  pool.close();
}

}  // namespace tandem::net
