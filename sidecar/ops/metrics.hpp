// Counters for /metrics. Each I/O thread owns one `thread_metrics` and is its only writer
// (relaxed atomics, no shared cache lines on the hot path); the renderer sums them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace tandem::ops {

/// Upper bounds (seconds) of the channel-layer latency histogram.
inline constexpr std::array<double, 10> latency_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                         0.025,  0.05,  0.1,    0.5,   1.0};
/// HTTP statuses with which upgrades are refused.
inline constexpr std::array<int, 7> refusal_statuses{400, 401, 403, 404, 429, 503, 500};
/// Why connections were answered 503 and closed right after accept (net::shed_reason order).
inline constexpr std::array<char const*, 3> shed_reasons{"per_address", "total", "descriptors"};
/// Why a channel-layer message reached no socket (tandem_layer_received_dropped_total).
inline constexpr std::array<char const*, 4> layer_drop_reasons{"expired", "undecodable", "unknown_channel",
                                                                "delivery_failed"};
using counter = std::atomic<std::uint64_t>;

struct thread_metrics {
  counter connections_open{0};
  // Sockets whose upgrade is being answered (the 101 may already be with the client) and not
  // yet counted open: a drain waits for them too, so none is cut without its close frame.
  counter connections_upgrading{0};
  counter connections_total{0};
  counter messages_in{0};
  counter messages_out{0};
  counter slow_reader_closes{0};  // sockets closed because their outbound queue overflowed
  counter layer_events_dropped{0};
  counter layer_events_oversized{0};  // events larger than a socket's whole outbound budget
  counter bridge_forwards{0};
  counter chat_messages_stored{0};   // new messages persisted (resends not counted)
  counter chat_receipts_applied{0};  // receipts that advanced a marker
  counter receipt_statements{0};     // statements that applied receipts (one per batch)
  counter send_statements{0};        // statements that stored sends (one per batch)
  counter pending_purged{0};         // expired pending-delivery entries deleted
  counter presence_changes{0};       // online/offline announcements made by this thread
  counter typing_forwards{0};        // typing start/stop events published by this thread
  std::array<counter, core::error_code_count> errors{};  // in core::all_error_codes() order
  std::array<counter, refusal_statuses.size()> refusals{};
  std::array<counter, shed_reasons.size()> connections_shed{};
  std::array<counter, latency_buckets.size()> layer_latency_buckets{};  // non-cumulative
  counter layer_latency_count{0};
  counter layer_latency_sum_us{0};
  // Copied from the thread's channel layer and PostgreSQL pool once a second by the thread
  // itself, so the scrape (on any thread) reads only atomics.
  counter layer_received{0};
  counter layer_sent{0};
  counter layer_sibling_posts{0};
  counter layer_sibling_received{0};
  counter layer_group_sends{0};
  counter layer_send_full{0};
  counter layer_local_deliveries{0};
  counter layer_redis_commands{0};
  std::array<counter, layer_drop_reasons.size()> layer_received_dropped{};  // layer_drop_reasons order
  counter redis_shards{0};
  counter redis_shards_connected{0};
  counter postgres_breaker_state{0};  // 0 closed, 1 open, 2 half-open
  counter layer_loop_restarts{0};     // receive/refresh loops restarted after a failure
  counter layer_group_over_capacity{0};  // full process queues a group_send met (its message waited)
  counter layer_pending_messages{0};     // gauge: group_send messages waiting for room now
  counter layer_pending_dropped{0};      // waiting messages given up (layer_pending_per_queue, expiry)
  counter layer_missed_told{0};          // sockets told to sync a message dropped for them here
  counter layer_ready{0};             // 1 when every shard is up and every receive loop runs

  void count_error(core::error_code code) noexcept;
  void count_refusal(int status) noexcept;
  void observe_layer_latency(double seconds) noexcept;
};

/// Figures that belong to the process rather than to one thread.
struct process_figures {
  bool draining = false;
  std::uint64_t coroutine_failures = 0;
  std::uint64_t log_lines_dropped = 0;
};

std::string render_prometheus(std::vector<thread_metrics const*> const& threads, process_figures const& process);

}  // namespace tandem::ops
