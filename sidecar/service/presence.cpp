// Presence steps. Redis decides (scripts), PostgreSQL records (status row), the layer tells
// (user groups). A Redis failure leaves presence as it was rather than announcing a guess.
#include "service/presence.hpp"

#include <spdlog/spdlog.h>

#include "asio/supervised_spawn.hpp"
#include "core/decimal.hpp"
#include "core/privacy.hpp"
#include "protocol/presence_frames.hpp"
#include "service/presence_scripts.hpp"

namespace tandem::service {

namespace {

using core::to_int64;

/// Every key of presence lives on the shard this name hashes to: scripts touch several keys.
constexpr std::string_view routing_key = "tandem.presence";

}  // namespace

core::unix_ms
wall_ms()
{
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

presence::presence(asio::any_io_executor executor, layer::channel_layer& layer, store::presence_tables& tables,
                   presence_settings const& settings, messaging_settings const& groups, ops::thread_metrics& metrics)
    : executor_{executor},
      layer_{layer},
      tables_{tables},
      settings_{settings},
      groups_{groups},
      metrics_{metrics},
      heartbeat_timer_{executor}
{
}

std::string
presence::key_prefix() const
{
  return layer_.prefix() + "tandem:presence:";
}

awaitable<layer::resp_batch>
presence::eval(std::string_view script, std::vector<std::string> args)
{
  std::vector<std::string> command{"EVAL", std::string{script}, "0"};
  command.insert(command.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  std::vector<std::vector<std::string>> commands{std::move(command)};
  co_return co_await layer_.run_commands(routing_key, std::move(commands));
}

void
presence::start()
{
  spawn(executor_, "presence_heartbeat", heartbeat_loop(), [this] {
    if (!stopped_) start();  // the lease must keep being renewed
  });
}

void
presence::stop()
{
  stopped_ = true;
  heartbeat_timer_.cancel();
}

awaitable<void>
presence::heartbeat_loop()
{
  while (!stopped_) {
    auto const now = wall_ms();
    auto const ttl = settings_.lease_ttl.count();
    // (GCC 12 miscompiles braced lists inside a co_await expression: arguments are built first.)
    std::vector<std::string> renew{key_prefix(), layer_.client_prefix(), std::to_string(now + ttl),
                                   std::to_string(ttl * 4)};
    auto const renewed = co_await eval(scripts::heartbeat, std::move(renew));
    bool const renew_failed = layer::failed(renewed) || renewed.replies.empty();
    if (renew_failed) {
      spdlog::warn("event=presence_heartbeat_failed error=\"{}\"", layer::describe_failure(renewed));
    } else if ((renewed.replies[0].integer == 1 && !local_counts_.empty()) || restore_needed_) {
      // The lease was gone (Redis restarted empty, or a sweep took it while we were cut off),
      // or a count change may have been lost in a timeout.
      spdlog::warn("event=presence_restore_due users={} lease_lost={}", local_counts_.size(),
                   renewed.replies[0].integer == 1);
      co_await restore_counts();
    }
    // Any worker may find a dead lease; the script hands each to exactly one of them.
    std::vector<std::string> sweep{key_prefix(), std::to_string(now), std::to_string(settings_.sweep_batch),
                                   std::to_string(ttl)};
    auto const swept = co_await eval(scripts::sweep, std::move(sweep));
    if (!layer::failed(swept) && !swept.replies.empty() && swept.replies[0].elements.size() == 2) {
      auto const& gone = swept.replies[0].elements[0].elements;
      for (std::size_t i = 0; i + 1 < gone.size(); i += 2) {
        auto const user = to_int64(gone[i].str);
        spdlog::info("event=presence_lease_expired user={}", user);
        co_await went_offline(user, to_int64(gone[i + 1].str));
      }
      // Users of the dead lease still connected elsewhere: their rows count fewer sockets now.
      auto const& still = swept.replies[0].elements[1].elements;
      for (std::size_t i = 0; i + 1 < still.size(); i += 2)
        co_await tables_.write_status(to_int64(still[i].str), true, still[i + 1].integer, std::nullopt);
    }
    // After a failed renewal, try again sooner: the lease must not run out while Redis is back.
    heartbeat_timer_.expires_after(renew_failed ? settings_.heartbeat / 8 : settings_.heartbeat / 2);
    error_code ec;
    co_await heartbeat_timer_.async_wait(as_value(ec));
  }
}

void
presence::restore()
{
  if (stopped_) return;
  spawn(executor_, "presence_restore", restore_counts());
}

awaitable<void>
presence::restore_counts()
{
  if (restoring_) co_return;
  restoring_ = true;
  auto const now = wall_ms();
  auto const ttl = settings_.lease_ttl.count();
  std::vector<std::string> args{key_prefix(), layer_.client_prefix(), std::to_string(now + ttl),
                                std::to_string(ttl * 4), std::to_string(now)};
  for (auto const& [user, count] : local_counts_) {
    args.push_back(std::to_string(user));
    args.push_back(std::to_string(count));
  }
  restore_needed_ = false;
  auto const restored = co_await eval(scripts::restore, std::move(args));
  restoring_ = false;
  if (layer::failed(restored) || restored.replies.empty() || restored.replies[0].elements.size() != 3) {
    restore_needed_ = true;
    spdlog::warn("event=presence_restore_failed error=\"{}\"", layer::describe_failure(restored));
    co_return;
  }
  auto const& announced = restored.replies[0].elements[0].elements;
  auto const& dropped = restored.replies[0].elements[1].elements;
  auto const& counts = restored.replies[0].elements[2].elements;
  spdlog::info("event=presence_restored users={} announced={} dropped={}", local_counts_.size(), announced.size(),
               dropped.size());
  // Users Redis counted on this lease but this worker has no socket of: settle them as a close.
  for (auto const& user : dropped) spawn(executor_, "presence_settle", settle_later(to_int64(user.str), wall_ms(), false));
  // Status rows: the live count over every process, not just this worker's share.
  for (std::size_t i = 0; i + 1 < counts.size(); i += 2)
    co_await tables_.write_status(to_int64(counts[i].str), true, counts[i + 1].integer, std::nullopt);
  for (auto const& fresh : announced) {
    auto const user = to_int64(fresh.str);
    auto const audience = co_await tables_.contacts_of(user, 0);
    if (audience.status == store::store_status::ok) co_await announce(user, true, std::nullopt, audience);
  }
}

awaitable<void>
presence::release()
{
  // From here on this worker's counts are going away: the heartbeat must not restore them.
  stopped_ = true;
  heartbeat_timer_.cancel();
  local_counts_.clear();
  auto const now = wall_ms();
  // Users in their grace period: settle them now, this process will not be there to do it.
  auto const settling = std::move(settling_);
  settling_.clear();
  for (auto const user : settling) {
    std::vector<std::string> args{key_prefix(), std::to_string(user), std::to_string(now)};
    auto const settled = co_await eval(scripts::settle, std::move(args));
    if (!layer::failed(settled) && !settled.replies.empty() && settled.replies[0].elements.size() == 2 &&
        settled.replies[0].elements[0].integer == 1)
      co_await went_offline(user, now);
  }
  std::vector<std::string> args{key_prefix(), layer_.client_prefix(), std::to_string(now)};
  auto const released = co_await eval(scripts::release, std::move(args));
  if (layer::failed(released) || released.replies.empty()) {
    spdlog::warn("event=presence_release_failed error=\"{}\"", layer::describe_failure(released));
    co_return;  // the lease expires on its own and another process sweeps it
  }
  for (auto const& user : released.replies[0].elements) co_await went_offline(to_int64(user.str), now);
}

awaitable<connect_outcome>
presence::connected(std::int64_t user, std::optional<std::int64_t> chat, int utc_offset_minutes)
{
  connect_outcome out;
  auto const now = wall_ms();
  std::vector<std::string> args{key_prefix(), std::to_string(user), layer_.client_prefix(), std::to_string(now),
                                std::to_string(now + settings_.lease_ttl.count())};
  // Counted here, before the script is sent, so a restore running meanwhile writes back a
  // count that already includes this socket (Redis runs the two in the order they were sent).
  ++local_counts_[user];
  settling_.erase(user);
  auto const batch = co_await eval(scripts::connect, std::move(args));
  if (batch.ec) {
    // Unknown whether Redis ran it (a timeout, a reset): count the socket, and let the next
    // heartbeat write this worker's true counts back.
    out.counted = true;
    restore_needed_ = true;
    spdlog::warn("event=presence_connect_failed user={} error=\"{}\" action=restore", user, batch.ec.message());
    co_return out;
  }
  if (layer::failed(batch) || batch.replies.empty() || batch.replies[0].elements.size() != 2) {
    // Refused (-OOM, -NOPERM): not counted, so this socket's close takes no one's count down.
    if (auto it = local_counts_.find(user); it != local_counts_.end() && --it->second <= 0) local_counts_.erase(it);
    spdlog::warn("event=presence_connect_failed user={} error=\"{}\"", user, layer::describe_failure(batch));
    co_return out;
  }
  out.counted = true;
  auto const fresh = batch.replies[0].elements[0].integer == 1;
  auto const live = batch.replies[0].elements[1].integer;
  co_await tables_.write_status(user, true, live, std::nullopt);
  auto const contacts = co_await tables_.contacts_of(user, chat.value_or(0));
  if (contacts.status != store::store_status::ok) {
    spdlog::warn("event=presence_audience_failed user={} error=\"{}\"", user, contacts.error);
    co_return out;
  }
  if (fresh) co_await announce(user, true, std::nullopt, contacts);
  out.frame = co_await snapshot(contacts, chat, utc_offset_minutes);
  co_return out;
}

void
presence::disconnected(std::int64_t user)
{
  if (auto it = local_counts_.find(user); it != local_counts_.end() && --it->second <= 0) local_counts_.erase(it);
  spawn(executor_, "presence_settle", settle_later(user, wall_ms(), true));
}

awaitable<void>
presence::settle_later(std::int64_t user, core::unix_ms closed_at, bool uncount)
{
  if (uncount) {
    std::vector<std::string> args{key_prefix(), std::to_string(user), layer_.client_prefix(), std::to_string(closed_at)};
    auto const left = co_await eval(scripts::disconnect, std::move(args));
    if (left.ec) restore_needed_ = true;  // unknown whether it ran: write the true counts back
    if (!layer::failed(left) && !left.replies.empty() && left.replies[0].integer > 0) {
      co_await tables_.write_status(user, true, left.replies[0].integer, std::nullopt);
      co_return;
    }
  }
  // A reload closes and reopens within moments: wait before telling anyone.
  settling_.insert(user);
  asio::steady_timer grace{executor_};
  grace.expires_after(settings_.grace);
  error_code ec;
  co_await grace.async_wait(as_value(ec));
  if (!settling_.erase(user) || stopped_) co_return;  // reconnected meanwhile, or release() settled it
  std::vector<std::string> settle_args{key_prefix(), std::to_string(user), std::to_string(wall_ms())};
  auto const settled = co_await eval(scripts::settle, std::move(settle_args));
  if (settled.ec || settled.replies.empty() || settled.replies[0].elements.size() != 2) co_return;
  if (settled.replies[0].elements[0].integer == 1) co_await went_offline(user, closed_at);
}

awaitable<void>
presence::went_offline(std::int64_t user, core::unix_ms last_seen)
{
  co_await tables_.write_status(user, false, 0, last_seen);
  auto const audience = co_await tables_.contacts_of(user, 0);
  if (audience.status != store::store_status::ok) {
    spdlog::warn("event=presence_audience_failed user={} error=\"{}\"", user, audience.error);
    co_return;
  }
  co_await announce(user, false, last_seen, audience);
}

awaitable<void>
presence::announce(std::int64_t user, bool online, std::optional<core::unix_ms> last_seen,
                   store::contact_list const& audience)
{
  metrics_.presence_changes.fetch_add(1, std::memory_order_relaxed);
  protocol::presence_entry const entry{user, online, last_seen, false};
  auto const event = protocol::presence_event(entry);
  for (auto const& viewer : audience.contacts) {
    if (!core::may_see_presence(audience.own_visibility, viewer.visibility, viewer.direct, false)) continue;
    co_await layer_.group_send(groups_.user_group_prefix + std::to_string(viewer.user_id), event);
  }
  spdlog::info("event=presence_changed user={} online={}", user, online);
}

awaitable<std::optional<std::string>>
presence::snapshot(store::contact_list const& contacts, std::optional<std::int64_t> chat, int utc_offset_minutes)
{
  std::vector<protocol::presence_entry> entries;
  std::vector<std::string> command{"SMISMEMBER", key_prefix() + "online"};
  for (auto const& c : contacts.contacts) {
    if (chat && !c.in_chat) continue;
    if (!core::may_see_presence(c.visibility, contacts.own_visibility, c.direct, false)) continue;
    entries.push_back({c.user_id, false, c.last_seen, false});
    command.push_back(std::to_string(c.user_id));
  }
  // Sent even when empty: the frame after hello is always the snapshot, so clients (and tests)
  // know the opening state is complete.
  if (entries.empty()) co_return protocol::presence_frame(entries, wall_ms(), utc_offset_minutes);
  std::vector<std::vector<std::string>> commands{std::move(command)};
  auto const batch = co_await layer_.run_commands(routing_key, std::move(commands));
  if (batch.ec || batch.replies.empty() || batch.replies[0].elements.size() != entries.size()) co_return std::nullopt;
  for (std::size_t i = 0; i < entries.size(); ++i) entries[i].online = batch.replies[0].elements[i].integer == 1;
  co_return protocol::presence_frame(entries, wall_ms(), utc_offset_minutes);
}

}  // namespace tandem::service
