// Prometheus text exposition format 0.0.4: HELP and TYPE lines, then samples.
#include "ops/metrics.hpp"

#include <algorithm>
#include <sstream>

namespace tandem::ops {

void
thread_metrics::count_error(core::error_code code) noexcept
{
  auto const codes = core::all_error_codes();
  auto const it = std::find(codes.begin(), codes.end(), code);
  if (it != codes.end()) errors[static_cast<std::size_t>(it - codes.begin())].fetch_add(1, std::memory_order_relaxed);
}

void
thread_metrics::count_refusal(int status) noexcept
{
  auto const it = std::find(refusal_statuses.begin(), refusal_statuses.end(), status);
  auto const index = it == refusal_statuses.end() ? refusal_statuses.size() - 1 : static_cast<std::size_t>(it - refusal_statuses.begin());
  refusals[index].fetch_add(1, std::memory_order_relaxed);
}

void
thread_metrics::observe_layer_latency(double seconds) noexcept
{
  auto const it = std::lower_bound(latency_buckets.begin(), latency_buckets.end(), seconds);
  if (it != latency_buckets.end())
    layer_latency_buckets[static_cast<std::size_t>(it - latency_buckets.begin())].fetch_add(1, std::memory_order_relaxed);
  layer_latency_count.fetch_add(1, std::memory_order_relaxed);
  layer_latency_sum_us.fetch_add(static_cast<std::uint64_t>(std::max(seconds, 0.0) * 1e6), std::memory_order_relaxed);
}

namespace {

template <typename Get>
std::uint64_t
sum(std::vector<thread_metrics const*> const& threads, Get get)
{
  std::uint64_t total = 0;
  for (auto const* t : threads) total += get(*t).load(std::memory_order_relaxed);
  return total;
}

void
header(std::ostringstream& out, char const* name, char const* type, char const* help)
{
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

std::string
render_prometheus(std::vector<thread_metrics const*> const& threads, process_figures const& process)
{
  std::ostringstream out;
  auto simple = [&](char const* name, char const* type, char const* help, std::uint64_t value) {
    header(out, name, type, help);
    out << name << ' ' << value << '\n';
  };
  simple("tandem_connections", "gauge", "Open WebSocket connections.",
         sum(threads, [](auto const& t) -> auto const& { return t.connections_open; }));
  simple("tandem_connections_upgrading", "gauge",
         "WebSocket upgrades past their last drain check and not yet open (a drain waits for them too).",
         sum(threads, [](auto const& t) -> auto const& { return t.connections_upgrading; }));
  simple("tandem_connections_total", "counter", "WebSocket connections accepted.",
         sum(threads, [](auto const& t) -> auto const& { return t.connections_total; }));
  simple("tandem_messages_in_total", "counter", "Client messages received.",
         sum(threads, [](auto const& t) -> auto const& { return t.messages_in; }));
  simple("tandem_messages_out_total", "counter", "Frames sent to clients.",
         sum(threads, [](auto const& t) -> auto const& { return t.messages_out; }));
  simple("tandem_outbound_queue_drops_total", "counter",
         "Sockets closed because their outbound queue overflowed (slow readers).",
         sum(threads, [](auto const& t) -> auto const& { return t.slow_reader_closes; }));
  simple("tandem_layer_events_dropped_total", "counter", "Channel-layer events with no frame mapping, dropped.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_events_dropped; }));
  simple("tandem_layer_events_oversized_total", "counter",
         "Channel-layer events larger than outbound_queue_bytes, refused (the socket is kept).",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_events_oversized; }));
  simple("tandem_bridge_forwards_total", "counter", "Client frames forwarded to the bridge channel.",
         sum(threads, [](auto const& t) -> auto const& { return t.bridge_forwards; }));
  simple("tandem_chat_messages_stored_total", "counter", "Chat messages persisted (resends not counted).",
         sum(threads, [](auto const& t) -> auto const& { return t.chat_messages_stored; }));
  simple("tandem_chat_receipts_applied_total", "counter", "Delivered/read receipts that advanced a marker.",
         sum(threads, [](auto const& t) -> auto const& { return t.chat_receipts_applied; }));
  simple("tandem_receipt_statements_total", "counter",
         "Statements that applied receipts: receipts arriving together share one (receipt_batch_max).",
         sum(threads, [](auto const& t) -> auto const& { return t.receipt_statements; }));
  simple("tandem_send_statements_total", "counter",
         "Statements that stored sends: sends arriving together share one (send_batch_max).",
         sum(threads, [](auto const& t) -> auto const& { return t.send_statements; }));
  simple("tandem_pending_purged_total", "counter", "Expired pending-delivery entries deleted.",
         sum(threads, [](auto const& t) -> auto const& { return t.pending_purged; }));
  simple("tandem_presence_changes_total", "counter", "Online/offline changes announced.",
         sum(threads, [](auto const& t) -> auto const& { return t.presence_changes; }));
  simple("tandem_typing_forwards_total", "counter", "Typing starts and stops published to chats.",
         sum(threads, [](auto const& t) -> auto const& { return t.typing_forwards; }));

  header(out, "tandem_errors_total", "counter", "Error frames sent, by code.");
  for (std::size_t i = 0; i < core::error_code_count; ++i)
    out << "tandem_errors_total{code=\"" << core::error_name(core::all_error_codes()[i]) << "\"} "
        << sum(threads, [i](auto const& t) -> auto const& { return t.errors[i]; }) << '\n';
  header(out, "tandem_upgrades_refused_total", "counter", "Upgrade requests refused, by HTTP status.");
  for (std::size_t i = 0; i < refusal_statuses.size(); ++i)
    out << "tandem_upgrades_refused_total{status=\"" << refusal_statuses[i] << "\"} "
        << sum(threads, [i](auto const& t) -> auto const& { return t.refusals[i]; }) << '\n';

  header(out, "tandem_connections_shed_total", "counter",
         "Connections answered 503 and closed at accept: caps on unauthenticated connections, no descriptors.");
  for (std::size_t i = 0; i < shed_reasons.size(); ++i)
    out << "tandem_connections_shed_total{reason=\"" << shed_reasons[i] << "\"} "
        << sum(threads, [i](auto const& t) -> auto const& { return t.connections_shed[i]; }) << '\n';

  header(out, "tandem_layer_send_seconds", "histogram", "Channel-layer send/group_send latency.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
    cumulative += sum(threads, [i](auto const& t) -> auto const& { return t.layer_latency_buckets[i]; });
    out << "tandem_layer_send_seconds_bucket{le=\"" << latency_buckets[i] << "\"} " << cumulative << '\n';
  }
  auto const count = sum(threads, [](auto const& t) -> auto const& { return t.layer_latency_count; });
  out << "tandem_layer_send_seconds_bucket{le=\"+Inf\"} " << count << '\n';
  out << "tandem_layer_send_seconds_sum "
      << static_cast<double>(sum(threads, [](auto const& t) -> auto const& { return t.layer_latency_sum_us; })) / 1e6
      << '\n';
  out << "tandem_layer_send_seconds_count " << count << '\n';

  simple("tandem_layer_received_total", "counter", "Messages received from the channel layer.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_received; }));
  simple("tandem_layer_sent_total", "counter", "Messages sent to the channel layer.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_sent; }));
  simple("tandem_layer_sibling_posts_total", "counter",
         "Messages for another I/O thread's channels, handed to it in-process instead of through Redis.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_sibling_posts; }));
  simple("tandem_layer_sibling_received_total", "counter",
         "Messages another I/O thread of this process handed to this one's sockets.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_sibling_received; }));
  simple("tandem_layer_group_sends_total", "counter", "group_send calls made to the channel layer.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_group_sends; }));
  simple("tandem_layer_send_full_total", "counter",
         "send() calls answered ChannelFull: the channel's queue (or its thread, behind) was full.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_send_full; }));
  simple("tandem_layer_local_deliveries_total", "counter", "Channel-layer messages handed to a socket of this process.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_local_deliveries; }));
  simple("tandem_redis_commands_total", "counter",
         "Redis commands the channel layer sent (sends, group sends, blocking pops, scripts, and each connection's handshake).",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_redis_commands; }));
  header(out, "tandem_layer_received_dropped_total", "counter",
         "Channel-layer messages (from Redis or another I/O thread) that reached no socket, by reason.");
  for (std::size_t i = 0; i < layer_drop_reasons.size(); ++i)
    out << "tandem_layer_received_dropped_total{reason=\"" << layer_drop_reasons[i] << "\"} "
        << sum(threads, [i](auto const& t) -> auto const& { return t.layer_received_dropped[i]; }) << '\n';
  simple("tandem_redis_shards", "gauge", "Redis shard connections configured (shards times I/O threads).",
         sum(threads, [](auto const& t) -> auto const& { return t.redis_shards; }));
  simple("tandem_redis_shards_connected", "gauge", "Redis shard connections that are up.",
         sum(threads, [](auto const& t) -> auto const& { return t.redis_shards_connected; }));
  std::uint64_t worst = 0;
  for (auto const* t : threads) worst = std::max(worst, t->postgres_breaker_state.load(std::memory_order_relaxed));
  simple("tandem_postgres_breaker_state", "gauge", "Worst PostgreSQL circuit breaker: 0 closed, 1 open, 2 half-open.",
         worst);
  simple("tandem_layer_loop_restarts_total", "counter", "Channel-layer loops restarted after a failure.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_loop_restarts; }));
  simple("tandem_layer_group_over_capacity_total", "counter",
         "Full process queues a group_send met; the message waited in the sidecar until there was room.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_group_over_capacity; }));
  simple("tandem_layer_pending_messages", "gauge", "group_send messages waiting for room in a full process queue.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_pending_messages; }));
  simple("tandem_layer_pending_dropped_total", "counter",
         "Waiting group_send messages dropped: over layer_pending_per_queue, or older than layer_expiry.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_pending_dropped; }));
  simple("tandem_layer_missed_told_total", "counter",
         "Sockets told to resync (delivery_dropped) for a message this process dropped for them: their "
         "thread was behind, the message expired waiting for it, or the delivery threw.",
         sum(threads, [](auto const& t) -> auto const& { return t.layer_missed_told; }));
  simple("tandem_coroutine_failures_total", "counter",
         "Coroutines that ended with an exception (logged as event=coroutine_failed).", process.coroutine_failures);
  simple("tandem_log_lines_dropped_total", "counter",
         "Log lines dropped because the log thread's queue was full (log_queue_lines).", process.log_lines_dropped);
  simple("tandem_draining", "gauge", "1 while draining after SIGTERM.", process.draining ? 1 : 0);
  return out.str();
}

}  // namespace tandem::ops
