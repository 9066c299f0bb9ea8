// Online / last seen across sidecar processes: each worker holds a lease in Redis (renewed by
// heartbeat); a user is online while any live lease holds one of their sockets. Changes are
// announced once (the Redis scripts decide which process announces) to the user groups of
// everyone allowed to see them, and written to the user status row for Django's views.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "asio/asio.hpp"
#include "core/time.hpp"
#include "layer/channel_layer.hpp"
#include "ops/metrics.hpp"
#include "service/messaging_settings.hpp"
#include "service/presence_settings.hpp"
#include "store/presence_tables.hpp"

namespace tandem::service {

class presence {
 public:
  presence(asio::any_io_executor executor, layer::channel_layer& layer, store::presence_tables& tables,
           presence_settings const& settings, messaging_settings const& groups, ops::thread_metrics& metrics);

  /// Starts the heartbeat and the sweep of dead leases.
  void start();
  void stop();

  /// A socket of `user` opened on this worker (on /ws/chat/<chat>/ when chat is set). Counts
  /// it, announces the user online if this is their first socket anywhere, and returns the
  /// socket's presence frame: the members of `chat` (or, with none, every contact) that the
  /// user may see, possibly none; nullopt only when the stores cannot say. One contacts query
  /// serves the announcement and the snapshot.
  awaitable<std::optional<std::string>> connected(std::int64_t user, std::optional<std::int64_t> chat,
                                                  int utc_offset_minutes);
  /// A socket of `user` closed; "offline" follows after the grace period if no other remains.
  void disconnected(std::int64_t user);

 private:
  awaitable<void> heartbeat_loop();
  awaitable<void> settle_later(std::int64_t user, core::unix_ms closed_at);
  /// Tells `audience` (the user's contacts) of a change, those the privacy rules allow.
  awaitable<void> announce(std::int64_t user, bool online, std::optional<core::unix_ms> last_seen,
                           store::contact_list const& audience);
  /// Announces offline to the user's contacts (read now) and records last_seen.
  awaitable<void> went_offline(std::int64_t user, core::unix_ms last_seen);
  awaitable<std::optional<std::string>> snapshot(store::contact_list const& contacts, std::optional<std::int64_t> chat,
                                                 int utc_offset_minutes);
  awaitable<layer::resp_batch> eval(std::string_view script, std::vector<std::string> args);
  std::string key_prefix() const;

  asio::any_io_executor executor_;
  layer::channel_layer& layer_;
  store::presence_tables& tables_;
  presence_settings const& settings_;
  messaging_settings const& groups_;
  ops::thread_metrics& metrics_;
  asio::steady_timer heartbeat_timer_;
  bool stopped_ = false;
};

/// Wall-clock milliseconds since the epoch.
core::unix_ms wall_ms();

}  // namespace tandem::service
