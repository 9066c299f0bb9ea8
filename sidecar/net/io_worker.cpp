// Wiring of one thread's parts; the layer's messages are handed to the socket that owns the
// channel (dropped and counted when that socket has just gone).
#include "net/io_worker.hpp"

#include <spdlog/spdlog.h>

#include "net/websocket_session.hpp"

namespace tandem::net {

io_worker::io_worker(process_state& shared, layer::layer_config layer_config, store::pg_pool_config pool_config,
                     store::table_names const& table_names)
    : process{shared},
      layer{layer::channel_layer::create(ioc.get_executor(), std::move(layer_config))},
      pool{ioc.get_executor(), std::move(pool_config)},
      tables{pool, table_names},
      messages{pool},
      people{pool},
      verifier{shared.sessions, tables},
      chat{messages, pool, *layer, shared.messaging, metrics},
      presence{ioc.get_executor(), *layer, people, shared.presence, shared.messaging, metrics},
      typing{*layer, shared.typing, shared.messaging, metrics}
{
}

void
io_worker::start(bool housekeeping)
{
  layer->start([this](std::string const& channel, layer::message const& msg) {
    if (auto session = hub.find(channel)) session->deliver(msg);
    else metrics.layer_events_dropped.fetch_add(1, std::memory_order_relaxed);
  });
  asio::co_spawn(ioc, publish_stats(), asio::detached);
  presence.start();
  if (housekeeping) asio::co_spawn(ioc, purge_pending(), asio::detached);
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
    metrics.redis_shards.store(layer->shard_count(), std::memory_order_relaxed);
    metrics.redis_shards_connected.store(layer->ready() ? layer->shard_count() : 0, std::memory_order_relaxed);
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
  for (auto const& session : hub.all()) session->close_soon(code, "service restart");
}

void
io_worker::stop()
{
  publish_timer_.cancel();
  purge_timer_.cancel();
  presence.stop();
  layer->stop();
  pool.close();
}

}  // namespace tandem::net
