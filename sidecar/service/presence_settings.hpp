// Timing of presence and typing (built from sidecar_config by the app).
#pragma once

#include <chrono>
#include <cstddef>

#include "core/typing.hpp"

namespace tandem::service {

struct presence_settings {
  std::chrono::milliseconds heartbeat{5000};   // each worker renews its lease this often
  std::chrono::milliseconds lease_ttl{15000};  // a lease not renewed for this long is dead
  std::chrono::milliseconds grace{3000};       // wait this long after the last close before "offline"
  std::size_t sweep_batch = 100;               // dead leases handled per sweep
  // Writes of one status row while the store's count keeps changing under it; past this the
  // next count change's own writer (which checks too) carries the row to the new count.
  int status_row_writes = 4;
  // Group sends of one announcement in flight at once. They pipeline on the layer's connection
  // (one round trip for a batch instead of one per viewer), and the bound keeps one large
  // audience from filling the connection's queue ahead of everything else.
  std::size_t announce_concurrency = 32;
  // A change of a user who shows presence to everyone goes to their group chats' groups (one
  // send for all of a chat's members) when that takes fewer sends than telling each member in
  // person (core::plan_presence_audience). Off: everyone in person, the only way older
  // sidecars understand (they drop presence.members): off while a rolling upgrade runs.
  bool through_groups = true;
  // Users a draining process settles per store round trip: their settles, offline status rows,
  // live counts and contacts go as one call each per batch (not one per user), so a drain of
  // 10,000 sockets takes tens of round trips. The bound keeps each query's rows in proportion.
  std::size_t release_batch = 500;
  // Release batches settled side by side: each is a chain of round trips (status rows, live
  // counts, viewers), and one after another they were most of a drain's time while PostgreSQL
  // and Redis sat idle between them. Bounded by what one worker's database pool should carry.
  std::size_t release_concurrency = 4;
  // At most one presence frame per socket this often: changes within it go out as one frame
  // listing every changed user (latest state each). 0 sends every change at once.
  std::chrono::milliseconds frame_interval{500};
};

struct typing_settings {
  core::typing_policy policy;                     // start interval, server expiry
  std::chrono::milliseconds frame_interval{150};  // at most one typing frame per chat per socket this often
};

}  // namespace tandem::service
