// channels_redis operations on Asio. Differences from the Python layer are deliberate and
// invisible on the wire: one EVALSHA per operation instead of several round trips, sends to a
// specific channel go to the shard its receiver reads (django/channels#1492), the process
// queue is read on every shard, and expired or undecodable messages are dropped and counted.
#include "layer/channel_layer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "asio/poll_until.hpp"
#include "asio/supervised_spawn.hpp"
#include "crypto/digest.hpp"
#include "layer/consistent_hash.hpp"
#include "layer/layer_error.hpp"
#include "layer/lua_scripts.hpp"
#include "layer/names.hpp"
#include "layer/score_text.hpp"

namespace tandem::layer {

namespace {

double
system_seconds()
{
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}


}  // namespace

std::string_view
send_status_name(send_status status) noexcept
{
  switch (status) {
    case send_status::ok: return "ok";
    case send_status::channel_full: return "channel_full";
    case send_status::invalid_name: return "invalid_name";
    case send_status::invalid_message: return "invalid_message";
    case send_status::unavailable: return "unavailable";
  }
  return "unavailable";
}

std::shared_ptr<channel_layer>
channel_layer::create(asio::any_io_executor executor, layer_config config, clock now)
{
  return std::shared_ptr<channel_layer>{new channel_layer{std::move(executor), std::move(config), std::move(now)}};
}

channel_layer::channel_layer(asio::any_io_executor executor, layer_config config, clock now)
    : executor_{executor},
      config_{std::move(config)},
      now_{now ? std::move(now) : clock{system_seconds}},
      serializer_{serializer_config{config_.format, config_.symmetric_encryption_keys, config_.random_prefix_length,
                                    config_.expiry_s},
                  crypto::fill_random},
      capacities_{config_.capacity, config_.channel_capacity},
      send_script_{lua::send, crypto::to_hex(crypto::sha1(lua::send))},
      group_send_script_{lua::group_send, crypto::to_hex(crypto::sha1(lua::group_send))},
      group_members_script_{lua::group_members, crypto::to_hex(crypto::sha1(lua::group_members))},
      flush_script_{lua::flush, crypto::to_hex(crypto::sha1(lua::flush))},
      send_in_order_script_{lua::send_in_order, crypto::to_hex(crypto::sha1(lua::send_in_order))},
      refresh_timer_{executor},
      overflow_{config_.pending_per_queue}
{
  if (config_.hosts.empty()) throw std::invalid_argument{"the channel layer needs at least one Redis host"};
  for (auto const& host : config_.hosts) {
    auto parsed = parse_redis_endpoint(host);
    // Named by position, not quoted: the URL may hold a password.
    if (!parsed.endpoint)
      throw std::invalid_argument{"Redis host " + std::to_string(commands_.size() + 1) + " of " +
                                  std::to_string(config_.hosts.size()) + " in redis_hosts: " + parsed.error};
    commands_.push_back(resp_connection::create(executor_, *parsed.endpoint, config_.connection));
    receivers_.push_back(resp_connection::create(executor_, *parsed.endpoint, config_.connection));
  }
  instance_id_ = random_hex(16);
  client_prefix_ = instance_id_;  // until share_process gives it the process's
  name_own_queue();
}

void
channel_layer::name_own_queue()
{
  non_local_ = new_channel_name(client_prefix_, "");
  queue_key_ = config_.prefix + non_local_;
  queue_shard_ = shard_index(non_local_name(non_local_), commands_.size());
}

void
channel_layer::start(message_handler on_message)
{
  on_message_ = std::move(on_message);
  groups_in_place_.assign(commands_.size(), false);
  auto self = shared_from_this();
  // Only the reader pops the process's queue: the other layers need no receiving connections.
  if (!reads_queue()) receivers_.clear();
  for (std::size_t i = 0; i < commands_.size(); ++i) {
    // After a reconnect (Redis restart, flush), put this process's memberships back at once.
    commands_[i]->on_connect([weak = weak_from_this(), i] {
      if (auto layer = weak.lock()) {
        layer->readiness_changed();
        if (layer->commands_[i]->connections_made() > 1) layer->resync_due_ = true;
        layer->groups_in_place_[i] = false;
        spawn(layer->executor_, "layer_readd_groups", [layer, i] { return layer->readd_groups(i); });
      }
    });
    commands_[i]->on_disconnect([weak = weak_from_this()] {
      if (auto layer = weak.lock()) layer->readiness_changed();
    });
    commands_[i]->start();
  }
  for (std::size_t i = 0; i < receivers_.size(); ++i) {
    receivers_[i]->on_connect([weak = weak_from_this(), i] {
      auto layer = weak.lock();
      if (!layer) return;
      layer->readiness_changed();
      if (layer->receivers_[i]->connections_made() > 1) layer->resync_due_ = layer->receiver_came_back_ = true;
      layer->resync_if_back();
    });
    receivers_[i]->on_disconnect([weak = weak_from_this()] {
      if (auto layer = weak.lock()) layer->readiness_changed();
    });
    receivers_[i]->start();
    supervise("layer_receive_loop", [self, i] { return self->receive_loop(i); });
  }
  supervise("layer_refresh_loop", [self] { return self->refresh_loop(); });
}

void
channel_layer::supervise(std::string_view name, std::function<awaitable<void>()> loop)
{
  spawn(executor_, name, loop, [weak = weak_from_this(), name, loop] {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    // Down until restarted (ready() says so); a short pause so a loop that fails at once
    // cannot spin.
    ++self->loops_down_;
    ++self->stats_.loop_restarts;
    self->readiness_changed();
    auto pause = std::make_shared<asio::steady_timer>(self->executor_, std::chrono::milliseconds{100});
    pause->async_wait([weak, name, loop, pause](error_code) {
      auto layer = weak.lock();
      if (!layer) return;
      --layer->loops_down_;
      layer->readiness_changed();
      if (!layer->stopped_) layer->supervise(name, loop);
    });
  });
}

void
channel_layer::stop()
{
  stopped_ = true;
  refresh_timer_.cancel();
  for (auto* pause : writer_pauses_) pause->cancel();
  // Waiting messages must not hold the process up: the queues' readers may be gone for good.
  if (auto const abandoned = overflow_.clear())
    spdlog::warn("event=layer_pending_abandoned count={} reason=stop", abandoned);
  for (auto& c : commands_) c->stop();
  for (auto& c : receivers_) c->stop();
  readiness_changed();  // a reader that stopped tells the other threads they receive no more
}

void
channel_layer::mirror_readiness(std::atomic<std::uint64_t>* flag)
{
  readiness_mirror_ = flag;
  readiness_changed();
}

void
channel_layer::resync_if_back()
{
  // Its own connections only: when the reader's receiver was the one away, the reader tells
  // every thread once it is back (tell_siblings_to_resync).
  if (!resync_due_ || !own_ready()) return;
  for (bool const in_place : groups_in_place_)
    if (!in_place) return;
  resync_due_ = false;
  if (std::exchange(receiver_came_back_, false)) tell_siblings_to_resync();
  if (on_reconnect_) on_reconnect_();
}

void
channel_layer::readiness_changed()
{
  if (readiness_mirror_) readiness_mirror_->store(own_ready() ? 1 : 0, std::memory_order_relaxed);
  if (siblings_ && reads_queue()) {
    auto& reader = siblings_->reader();
    auto const own = queue_shard_;
    reader.can_receive.store(!stopped_ && own < receivers_.size() && receivers_[own]->connected(),
                             std::memory_order_relaxed);
    reader.ready.store(!stopped_ && own_ready(), std::memory_order_relaxed);
  }
}

awaitable<void>
channel_layer::settle(std::chrono::milliseconds limit)
{
  auto const settled = [this] {
    // Held-back group messages were reported sent: a drain waits for them as for the commands
    // in flight (bounded by `limit` like everything here).
    if (!overflow_.empty() || leaves_in_progress_ > 0) return false;
    for (auto const& c : commands_)
      if (c->connected() && c->in_flight() > 0) return false;
    return true;
  };
  // A short poll: this runs once, at exit, and a reply may come from any of the shards.
  co_await poll_until(settled, limit, std::chrono::milliseconds{5});
}

bool
channel_layer::can_receive() const noexcept
{
  auto const own = queue_shard_;
  if (loops_down_ > 0 || !commands_[own]->connected()) return false;
  if (!reads_queue()) return siblings_->reader().can_receive.load(std::memory_order_relaxed);
  return own < receivers_.size() && receivers_[own]->connected();
}

bool
channel_layer::own_ready() const noexcept
{
  if (loops_down_ > 0) return false;
  for (auto const& c : commands_)
    if (!c->connected()) return false;
  for (auto const& c : receivers_)
    if (!c->connected()) return false;
  return true;
}

bool
channel_layer::can_write() const noexcept
{
  for (auto const& c : commands_)
    if (!c->connected()) return false;
  return true;
}

bool
channel_layer::ready() const noexcept
{
  if (!own_ready()) return false;
  return reads_queue() || siblings_->reader().ready.load(std::memory_order_relaxed);
}

std::uint64_t
channel_layer::commands_sent() const noexcept
{
  std::uint64_t total = 0;
  for (auto const& c : commands_) total += c->commands_sent();
  for (auto const& c : receivers_) total += c->commands_sent();
  return total;
}

std::string
channel_layer::random_hex(std::size_t bytes) const
{
  std::string raw(bytes, '\0');
  crypto::fill_random(reinterpret_cast<unsigned char*>(raw.data()), raw.size());
  return crypto::to_hex(raw);
}

std::string
channel_layer::new_channel()
{
  std::string name = new_channel_name(client_prefix_, channel_tag_ + random_hex(16));
  local_channels_.insert(name);
  return name;
}

void
channel_layer::release_channel(std::string const& channel)
{
  local_channels_.erase(channel);
  auto groups = memberships_.release(channel);
  release_visits_ += groups.size();
  for (auto& group : groups) spawn(executor_, "layer_group_discard", group_discard(std::move(group), channel));
}

void
channel_layer::leave_all_groups()
{
  // A group's channels go in commands of at most this many: no single command holds Redis
  // (and every other client of it) for long.
  constexpr std::size_t channels_per_command = 1000;
  std::vector<std::vector<std::vector<std::string>>> by_shard(commands_.size());
  for (auto const& entry : memberships_.by_group()) {
    auto const key = group_key(config_.prefix, entry.first);
    auto& commands = by_shard[shard_for_group(entry.first)];
    std::vector<std::string> zrem;
    for (auto const& channel : entry.second) {
      if (zrem.empty()) zrem = {"ZREM", key};
      zrem.push_back(channel);
      if (zrem.size() - 2 == channels_per_command) commands.push_back(std::exchange(zrem, {}));
    }
    if (!zrem.empty()) commands.push_back(std::move(zrem));
  }
  memberships_.clear();
  for (std::size_t shard = 0; shard < by_shard.size(); ++shard)
    if (!by_shard[shard].empty())
      spawn(executor_, "layer_leave_all_groups", discard_on_shard(shard, std::move(by_shard[shard])));
}

awaitable<void>
channel_layer::discard_on_shard(std::size_t shard, std::vector<std::vector<std::string>> commands)
{
  auto self = shared_from_this();
  ++leaves_in_progress_;
  struct counted_out {
    std::size_t& count;
    ~counted_out() { --count; }
  } const done{leaves_in_progress_};
  // The memberships are already forgotten here (the sockets' closes will not discard them), so
  // a batch lost to a reset (or refused: -READONLY in a failover) is sent again once the shard
  // is back (ZREM is idempotent), up to three times in about half a second (a drain's wind-down
  // has 2 s for this and the presence release together); settle() waits for it like for a
  // command in flight. Given up, the memberships stay in Redis for group_expiry, each group
  // message still written to this dead process's queue, as channels_redis's do when a process dies.
  constexpr int attempts = 3;
  constexpr std::chrono::milliseconds between{250};
  asio::steady_timer pause{executor_};
  for (int attempt = 1;; ++attempt) {
    auto again = commands;
    auto const batch = co_await commands_[shard]->run(std::move(again));
    if (!failed(batch) || stopped_ || attempt == attempts) {
      if (failed(batch))
        spdlog::warn("event=group_leave_all_failed shard={} commands={} attempts={} error=\"{}\"", shard,
                     commands.size(), attempt, describe_failure(batch));
      co_return;
    }
    // Back after a reset, or (an error reply on a live connection) a short pause, never a spin.
    bool const back = co_await commands_[shard]->wait_connected(between);
    if (back) {
      pause.expires_after(between / 5);
      error_code ec;
      co_await pause.async_wait(as_value(ec));
    }
  }
}

std::size_t
channel_layer::shard_for_group(std::string_view group) const
{
  return shard_index(group, commands_.size());
}

std::size_t
channel_layer::shard_for_channel(std::string_view channel)
{
  // Specific channels: the shard their receiver reads. Plain channels: round-robin, as Python.
  if (is_specific(channel)) return shard_index(non_local_name(channel), commands_.size());
  return round_robin_++ % commands_.size();
}

awaitable<resp_batch>
channel_layer::run_script(std::size_t shard, script const& s, std::vector<std::string> keys,
                          std::vector<std::string> args)
{
  auto build = [&](std::string verb, std::string body) {
    std::vector<std::string> command{std::move(verb), std::move(body), std::to_string(keys.size())};
    command.insert(command.end(), keys.begin(), keys.end());
    command.insert(command.end(), args.begin(), args.end());
    return command;
  };
  // (GCC 12 miscompiles braced lists inside a co_await expression: build them first.)
  std::vector<std::vector<std::string>> by_sha{build("EVALSHA", s.sha1)};
  auto batch = co_await commands_[shard]->run(std::move(by_sha));
  if (!batch.ec && batch.replies[0].is_error() && batch.replies[0].str.starts_with("NOSCRIPT")) {
    std::vector<std::vector<std::string>> by_source{build("EVAL", std::string{s.source})};
    batch = co_await commands_[shard]->run(std::move(by_source));  // also loads it for next time
  }
  co_return batch;
}

channel_layer::lua_script::lua_script(std::string_view source_text)
    : source{source_text}, sha1{crypto::to_hex(crypto::sha1(source_text))}
{
}

awaitable<resp_batch>
channel_layer::run_scripts(std::size_t shard, std::vector<script_call> calls)
{
  auto build = [](std::string verb, std::string body, script_call const& call) {
    std::vector<std::string> command{std::move(verb), std::move(body), std::to_string(call.keys.size())};
    command.insert(command.end(), call.keys.begin(), call.keys.end());
    command.insert(command.end(), call.args.begin(), call.args.end());
    return command;
  };
  std::vector<std::vector<std::string>> by_sha;
  by_sha.reserve(calls.size());
  for (auto const& call : calls) by_sha.push_back(build("EVALSHA", call.script->sha1, call));
  auto batch = co_await commands_[shard]->run(std::move(by_sha));
  if (batch.ec || batch.replies.size() != calls.size()) co_return batch;
  std::vector<std::size_t> unknown;
  std::vector<std::vector<std::string>> by_source;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (!batch.replies[i].is_error() || !batch.replies[i].str.starts_with("NOSCRIPT")) continue;
    unknown.push_back(i);
    by_source.push_back(build("EVAL", std::string{calls[i].script->source}, calls[i]));
  }
  if (unknown.empty()) co_return batch;
  auto again = co_await commands_[shard]->run(std::move(by_source));
  if (again.ec || again.replies.size() != unknown.size()) {
    again.replies.clear();
    co_return again;  // a transport failure: the whole batch's outcome is unknown to the caller
  }
  for (std::size_t i = 0; i < unknown.size(); ++i) batch.replies[unknown[i]] = std::move(again.replies[i]);
  co_return batch;
}

awaitable<resp_batch>
channel_layer::run_commands(std::string_view routing_key, std::vector<std::vector<std::string>> commands)
{
  co_return co_await commands_[shard_for_group(routing_key)]->run(std::move(commands));
}

awaitable<send_status>
channel_layer::send(std::string channel, message msg)
{
  if (!valid_channel_name(channel)) co_return send_status::invalid_name;
  if (!msg.is_object() || msg.contains(asgi_channel_key)) co_return send_status::invalid_message;
  if (is_specific(channel)) {
    if (config_.local_fast_path && non_local_name(channel) == non_local_) {
      // One of this process's channels: its thread has it at once, whichever thread that is.
      std::vector<std::string> named{channel};
      if (hand_out(std::move(named), msg, now_()) > 0) {
        ++stats_.send_full;  // its thread is as far behind as a full queue
        co_return send_status::channel_full;
      }
      co_return send_status::ok;
    }
    msg[std::string{asgi_channel_key}] = channel;
  }
  double const now = now_();
  std::string payload;
  try {
    payload = serializer_.serialize(msg, static_cast<std::int64_t>(now));
  } catch (std::invalid_argument const&) {
    co_return send_status::invalid_message;
  }
  std::size_t const shard = shard_for_channel(channel);
  auto const key = channel_key(config_.prefix, channel);
  auto const trim_before = static_cast<std::int64_t>(now) - config_.expiry_s;
  std::vector<std::string> args{std::move(payload), std::to_string(capacities_.capacity_for(channel)),
                                format_score(now), std::to_string(config_.expiry_s), std::to_string(trim_before)};
  std::vector<std::string> keys{key};
  auto batch = co_await run_script(shard, send_script_, std::move(keys), std::move(args));
  if (batch.ec || batch.replies[0].is_error()) co_return send_status::unavailable;
  if (batch.replies[0].integer == 1) {
    ++stats_.send_full;
    co_return send_status::channel_full;
  }
  ++stats_.sent;
  co_return send_status::ok;
}

awaitable<send_status>
channel_layer::group_add(std::string group, std::string channel)
{
  if (!valid_group_name(group) || !valid_channel_name(channel)) co_return send_status::invalid_name;
  if (local_channels_.contains(channel)) memberships_.add(group, channel);
  auto const key = group_key(config_.prefix, group);
  std::vector<std::vector<std::string>> commands{{"ZADD", key, format_score(now_()), channel},
                                                 {"EXPIRE", key, std::to_string(config_.group_expiry_s)}};
  auto batch = co_await commands_[shard_for_group(group)]->run(std::move(commands));
  co_return failed(batch) ? send_status::unavailable : send_status::ok;
}

awaitable<send_status>
channel_layer::group_discard(std::string group, std::string channel)
{
  if (!valid_group_name(group) || !valid_channel_name(channel)) co_return send_status::invalid_name;
  memberships_.remove(group, channel);
  std::vector<std::vector<std::string>> commands{{"ZREM", group_key(config_.prefix, group), channel}};
  auto batch = co_await commands_[shard_for_group(group)]->run(std::move(commands));
  co_return failed(batch) ? send_status::unavailable : send_status::ok;
}

awaitable<void>
channel_layer::readd_groups(std::size_t shard)
{
  auto self = shared_from_this();
  for (;;) {
    std::vector<std::vector<std::string>> commands;
    auto const score = format_score(now_());
    for (auto const& [group, channels] : memberships_.by_group()) {
      if (channels.empty() || shard_for_group(group) != shard) continue;
      auto const key = group_key(config_.prefix, group);
      std::vector<std::string> zadd{"ZADD", key};
      for (auto const& channel : channels) {
        zadd.push_back(score);
        zadd.push_back(channel);
      }
      commands.push_back(std::move(zadd));
      commands.push_back({"EXPIRE", key, std::to_string(config_.group_expiry_s)});
    }
    if (commands.empty()) break;
    auto const batch = co_await commands_[shard]->run(std::move(commands));
    if (!failed(batch)) break;
    // -OOM, -READONLY or a timeout: the memberships are not back. Try again in a second
    // while the connection is up (a reconnect starts a re-add of its own).
    spdlog::warn("event=group_readd_failed shard={} error=\"{}\"", shard, describe_failure(batch));
    asio::steady_timer pause{executor_, std::chrono::seconds{1}};
    error_code ec;
    co_await pause.async_wait(as_value(ec));
    if (stopped_ || !commands_[shard]->connected()) co_return;
  }
  if (shard < groups_in_place_.size()) groups_in_place_[shard] = true;
  resync_if_back();
}

awaitable<void>
channel_layer::refresh_loop()
{
  auto self = shared_from_this();
  auto const every = config_.group_refresh.count() > 0 ? config_.group_refresh
                                                      : std::chrono::seconds{std::max<std::int64_t>(1, config_.group_expiry_s / 2)};
  while (!stopped_) {
    refresh_timer_.expires_after(every);
    error_code ec;
    co_await refresh_timer_.async_wait(as_value(ec));
    if (stopped_) break;
    for (std::size_t shard = 0; shard < commands_.size(); ++shard) co_await readd_groups(shard);
  }
}

awaitable<group_send_result>
channel_layer::group_send(std::string group, message msg)
{
  group_send_result result;
  if (!valid_group_name(group)) co_return group_send_result{send_status::invalid_name, 0, 0};
  if (!msg.is_object() || msg.contains(asgi_channel_key)) co_return group_send_result{send_status::invalid_message, 0, 0};
  double const now = now_();
  auto const group_trim = static_cast<std::int64_t>(now) - config_.group_expiry_s;
  std::vector<std::string> group_keys{group_key(config_.prefix, group)};
  std::vector<std::string> group_args{std::to_string(group_trim)};
  auto members =
      co_await run_script(shard_for_group(group), group_members_script_, std::move(group_keys), std::move(group_args));
  if (members.ec || members.replies[0].is_error()) co_return group_send_result{send_status::unavailable, 0, 0};
  ++stats_.group_sends;

  // One message per process queue, naming every member channel that queue serves (in the
  // group's score order), as channels_redis's _map_channel_keys_to_connection does.
  std::vector<std::string> keys;
  std::map<std::string, std::vector<std::string>> channels_by_key;
  for (auto const& member : members.replies[0].elements) {
    std::string const& channel = member.str;
    ++result.members;
    auto key = channel_key(config_.prefix, channel);
    auto& listed = channels_by_key[key];
    if (listed.empty()) keys.push_back(key);
    listed.push_back(channel);
  }

  struct shard_batch {
    std::vector<std::string> keys, payloads, capacities;
  };
  auto const score = format_score(now);
  std::map<std::size_t, shard_batch> batches;
  std::vector<std::string> opened;  // keys this call made busy (freed again if it gives up)
  for (auto const& key : keys) {
    auto const& channels = channels_by_key[key];
    if (config_.local_fast_path && key == queue_key_) {
      // This process's own members, on any of its threads: handed out, not written to Redis. A
      // thread as far behind as a full queue at pending_per_queue's limit loses it, as there.
      auto const limit = capacities_.capacity_for(channels.front()) + config_.pending_per_queue;
      auto const refused = hand_out(channels, msg, now);
      result.over_capacity += refused;
      for (std::size_t i = 0; i < refused; ++i)
        if (stats_.pending_dropped++ % 1000 == 0)
          spdlog::warn("event=layer_pending_dropped reason=limit key={} limit={} dropped_total={}", key, limit,
                       stats_.pending_dropped);
      continue;
    }
    message copy = msg;
    copy[std::string{asgi_channel_key}] = channels;
    std::string payload;
    try {
      payload = serializer_.serialize(copy, static_cast<std::int64_t>(now));
    } catch (std::invalid_argument const&) {
      // Nothing ran since these were opened (no co_await yet): nothing waits behind them.
      for (auto const& busy : opened) overflow_.close(busy);
      co_return group_send_result{send_status::invalid_message, result.members, 0};
    }
    auto const shard = shard_index(non_local_name(channels.front()), commands_.size());
    auto capacity = std::to_string(capacities_.capacity_for(channels.front()));
    if (auto const* state = overflow_.find(key)) {  // behind what is in flight or waiting: keeps order
      if (state->full) ++result.over_capacity;
      queue_behind(key, waiting_message{std::move(payload), std::move(capacity), now});
      continue;
    }
    // From here until its reply, later messages for this queue wait behind this one (it may
    // come back "full"). Not when holding back is off: a full queue's message is then dropped.
    if (config_.pending_per_queue > 0) {
      overflow_.open(key, shard);
      opened.push_back(key);
    }
    auto& batch = batches[shard];
    batch.keys.push_back(key);
    batch.payloads.push_back(std::move(payload));
    batch.capacities.push_back(std::move(capacity));
  }

  auto const trim_before = std::to_string(static_cast<std::int64_t>(now) - config_.expiry_s);
  // (No structured binding: GCC 12 mishandles one used after a co_await in the loop body.)
  for (auto& entry : batches) {
    auto const shard = entry.first;
    auto& batch = entry.second;
    std::vector<std::string> args = batch.payloads;  // kept: a full queue's message is held back
    args.insert(args.end(), batch.capacities.begin(), batch.capacities.end());
    args.push_back(score);
    args.push_back(std::to_string(config_.expiry_s));
    args.push_back(trim_before);
    std::vector<std::string> shard_keys = batch.keys;
    auto reply = co_await run_script(shard, group_send_script_, std::move(shard_keys), std::move(args));
    if (reply.ec || reply.replies[0].is_error()) {
      result.status = send_status::unavailable;
      for (auto const& key : batch.keys) direct_write_done(key, std::nullopt);  // those behind still go
      continue;
    }
    // The 1-based indexes of the full queues: their messages wait here until there is room.
    std::vector<bool> found_full(batch.keys.size(), false);
    for (auto const& index : reply.replies[0].elements) {
      auto const i = static_cast<std::size_t>(index.integer - 1);
      if (index.integer < 1 || i >= batch.keys.size()) continue;
      found_full[i] = true;
    }
    for (std::size_t i = 0; i < batch.keys.size(); ++i) {
      if (!found_full[i]) {
        direct_write_done(batch.keys[i], std::nullopt);
        continue;
      }
      ++result.over_capacity;
      direct_write_done(batch.keys[i], waiting_message{std::move(batch.payloads[i]), std::move(batch.capacities[i]), now});
    }
  }
  if (result.over_capacity > 0) {
    stats_.group_over_capacity += result.over_capacity;
    spdlog::debug("event=group_send_over_capacity group={} held_back_queues={} members={}", group,
                  result.over_capacity, result.members);
  }
  co_return result;
}

awaitable<send_status>
channel_layer::flush()
{
  send_status status = send_status::ok;
  for (std::size_t shard = 0; shard < commands_.size(); ++shard) {
    std::vector<std::string> args{config_.prefix};
    auto reply = co_await run_script(shard, flush_script_, {}, std::move(args));
    if (reply.ec || reply.replies[0].is_error()) status = send_status::unavailable;
  }
  co_return status;
}

}  // namespace tandem::layer
