// A peer of channels_redis's RedisChannelLayer: the same keys, payload bytes, sharding and Lua
// semantics, so Django code and Tandem reach each other's channels and groups.
//
// The layer owns one "specific" queue (prefix + "specific.<client_prefix>!") and receives on
// it from every shard, fanning each message out to the local channels it names. There is one
// layer per I/O thread; they share the process's queue, which the first of them reads for all,
// and messages between them are posted, not written (process_queues). All members run on the
// executor given at creation; other threads post or co_spawn onto it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "asio/asio.hpp"
#include "layer/capacity_table.hpp"
#include "layer/group_memberships.hpp"
#include "layer/layer_config.hpp"
#include "layer/message.hpp"
#include "layer/overflow_queue.hpp"
#include "layer/process_queues.hpp"
#include "layer/resp_connection.hpp"
#include "layer/serializer.hpp"

namespace tandem::layer {

enum class send_status : std::uint8_t {
  ok,
  channel_full,     // the channel's queue is at capacity; nothing was written (ChannelFull)
  invalid_name,     // channel or group name fails Channels' validation
  invalid_message,  // not a dict, carries __asgi_channel__, or a value the format cannot carry
  unavailable,      // the Redis shard is down or did not answer
};

std::string_view send_status_name(send_status status) noexcept;

struct group_send_result {
  send_status status = send_status::ok;
  std::size_t members = 0;        // channels in the group after expired memberships were dropped
  // Process queues with no room for the message now (full, or already holding messages
  // back): it waits in the layer, in order, and is written once they have room. (A queue that
  // only has an earlier message's write in flight is not counted: its message goes right after.)
  std::size_t over_capacity = 0;
};

/// Counters for /metrics; monotonically increasing.
struct layer_stats {
  std::uint64_t sent = 0;
  std::uint64_t send_full = 0;
  std::uint64_t group_sends = 0;
  std::uint64_t group_over_capacity = 0;  // queues a group_send found with no room (it waited)
  std::uint64_t pending_dropped = 0;      // waiting messages given up: over the limit or expired
  std::uint64_t received = 0;
  std::uint64_t local_deliveries = 0;
  std::uint64_t sibling_posts = 0;     // messages handed to another I/O thread's layer, not to Redis
  std::uint64_t sibling_received = 0;  // messages another I/O thread's layer handed to this one
  std::uint64_t sibling_failures = 0;  // of those, hand-overs that threw outside any socket's delivery
  std::uint64_t delivery_failures = 0;  // deliveries on this thread that threw (lost for that socket)
  std::uint64_t dropped_undecodable = 0;
  std::uint64_t dropped_expired = 0;
  std::uint64_t dropped_unknown_channel = 0;
  std::uint64_t loop_restarts = 0;  // receive/refresh loops restarted after a failure
  std::uint64_t missed_told = 0;    // local channels told they missed a message dropped for them
};

class channel_layer : public std::enable_shared_from_this<channel_layer> {
 public:
  /// Receives every message addressed to one of this process's channels.
  using message_handler = std::function<void(std::string const& channel, message const& msg)>;
  /// Wall-clock seconds since the epoch (time.time()); replaceable in tests.
  using clock = std::function<double()>;

  static std::shared_ptr<channel_layer> create(asio::any_io_executor executor, layer_config config,
                                               clock now = {});

  /// The layers of this process's I/O threads, this one at `index` (set once, before start and
  /// before any channel is made): every layer takes the process's client prefix, so they share
  /// one Redis queue, read by the layer at index 0 only; messages for another thread's channels
  /// are posted to that thread instead of going through Redis.
  void share_process(std::shared_ptr<process_queues const> queues, std::size_t index);
  /// Connects every shard and starts the receive loops.
  void start(message_handler on_message);
  /// Called (on the executor) once a shard is back after a loss and its group memberships are
  /// re-added: messages published meanwhile may never have reached this process's queue.
  void on_reconnect(std::function<void()> hook) { on_reconnect_ = std::move(hook); }
  /// Called (on the executor) for each local channel that missed a message the layer dropped
  /// for it in this process: its thread was as far behind as its queue could be, the message
  /// waited longer than expiry for that thread, or its delivery threw. Nothing else would ever
  /// bring that message, so its socket must be told to sync.
  using missed_handler = std::function<void(std::string const& channel)>;
  void on_missed(missed_handler hook) { on_missed_ = std::move(hook); }
  void stop();
  /// Completes when every command sent so far (group discards of closed sockets included)
  /// has its reply, or after `limit`: what a drain waits for before it stops the layer.
  awaitable<void> settle(std::chrono::milliseconds limit);

  /// True when every shard is connected and every receive loop is running.
  bool ready() const noexcept;
  /// True when every shard's command connection is up: what this thread's own writes (group
  /// changes, presence) need, whatever the state of the reader of the process's queue.
  bool can_write() const noexcept;
  /// True when this process can receive: the shard holding its own queue (where every send to
  /// its channels lands) is connected both ways. A new socket needs this; whether its groups'
  /// shards answer is found out by joining them.
  bool can_receive() const noexcept;
  /// An atomic this layer keeps equal to ready() (1/0) from now on, so other threads (the
  /// readiness probe answered on any thread) can read it without touching the layer.
  void mirror_readiness(std::atomic<std::uint64_t>* flag);
  std::size_t shard_count() const noexcept { return commands_.size(); }
  std::string const& client_prefix() const noexcept { return client_prefix_; }
  /// A random name of this layer alone, for what must be told apart per thread even when the
  /// threads share the process's client prefix (a presence lease).
  std::string const& instance_id() const noexcept { return instance_id_; }
  /// This process's queue key, e.g. "asgispecific.<client_prefix>!".
  std::string const& queue_key() const noexcept { return queue_key_; }
  layer_stats const& stats() const noexcept { return stats_; }
  /// group_send messages waiting in this process for room in a full queue, or behind an
  /// earlier message's write to their queue (a gauge).
  std::size_t pending_messages() const noexcept { return overflow_.size(); }
  /// The number of the message the handler is being given: one message addressed to many local
  /// channels (a group) reaches the handler once per channel, every time with the same number,
  /// and each message gets a new one, so the handler can decode it once. Set on every call (not
  /// once per message), so a message sent from inside the handler cannot leave its number behind
  /// for the rest of the outer message's channels.
  std::uint64_t message_serial() const noexcept { return delivering_serial_; }
  /// Commands written to Redis by this layer so far (all shards, receive loops included).
  std::uint64_t commands_sent() const noexcept;

  /// A new local channel "specific.<client_prefix>!<32 hex>" ("!<thread index>.<32 hex>" once
  /// the layer shares its process's queue), registered for delivery.
  std::string new_channel();
  /// Forgets a local channel and discards it from every group it joined here.
  void release_channel(std::string const& channel);
  /// The process is draining: every local channel leaves every group it joined here, in one
  /// ZREM per group naming its channels (pipelined per shard), instead of one ZREM per
  /// membership as each socket closes (tens of thousands of commands, each its own coroutine,
  /// for 10,000 sockets). release_channel then finds nothing left to discard, except groups
  /// joined after this call. settle() waits for the replies.
  void leave_all_groups();
  /// Group memberships release_channel has looked at so far: a drain closes every socket, so
  /// this must grow with the released channels' own groups, not with all groups (tests).
  std::uint64_t release_visits() const noexcept { return release_visits_; }

  awaitable<send_status> send(std::string channel, message msg);
  awaitable<send_status> group_add(std::string group, std::string channel);
  awaitable<send_status> group_discard(std::string group, std::string channel);
  awaitable<group_send_result> group_send(std::string group, message msg);
  /// Deletes every key under the prefix on every shard (tests only, like channels_redis).
  awaitable<send_status> flush();

  /// Tandem's own Redis state (presence, typing) on the layer's connections: `commands` run
  /// pipelined on the shard that `routing_key` hashes to, as a group name would. Callers keep
  /// their keys under prefix() + "tandem:" so they never meet channels_redis's.
  awaitable<resp_batch> run_commands(std::string_view routing_key, std::vector<std::vector<std::string>> commands);
  std::string const& prefix() const noexcept { return config_.prefix; }

  /// A Lua script of the caller's, run by EVALSHA under its SHA-1 (computed once, here).
  struct lua_script {
    explicit lua_script(std::string_view source);
    std::string_view source;
    std::string sha1;
  };
  struct script_call {
    lua_script const* script = nullptr;
    std::vector<std::string> keys;  // all of one hash tag, so the script touches one slot
    std::vector<std::string> args;
  };
  /// The shard run_commands(routing_key, ...) uses, so callers can pipeline per shard.
  std::size_t shard_of(std::string_view routing_key) const { return shard_for_group(routing_key); }
  /// Runs `calls` pipelined on `shard`, one reply each in order. Redis answers NOSCRIPT to an
  /// EVALSHA it has not seen (a restart, a failover): those calls (which did not run) are sent
  /// again by EVAL, which also loads the script for next time.
  awaitable<resp_batch> run_scripts(std::size_t shard, std::vector<script_call> calls);

 private:
  struct script {
    std::string_view source;
    std::string sha1;
  };

  channel_layer(asio::any_io_executor executor, layer_config config, clock now);
  awaitable<resp_batch> run_script(std::size_t shard, script const& s, std::vector<std::string> keys,
                                   std::vector<std::string> args);
  /// Starts a loop that must always run; a failure is logged, counted and the loop restarted.
  void supervise(std::string_view name, std::function<awaitable<void>()> loop);
  void readiness_changed();
  /// ready() as far as this layer's own connections and loops go (what its mirror publishes:
  /// the reader's part is published by the reader).
  bool own_ready() const noexcept;
  /// True when this layer pops the process's queue: it has no siblings, or it is the first.
  bool reads_queue() const noexcept { return !siblings_ || thread_index_ == 0; }
  /// The reader's receiver came back after a loss: every thread's sockets may have missed
  /// messages, so each sibling resyncs as this layer does.
  void tell_siblings_to_resync();
  /// Calls on_reconnect_ when a reconnect is pending and every shard is up with its groups.
  void resync_if_back();
  awaitable<void> receive_loop(std::size_t shard);
  awaitable<void> refresh_loop();
  awaitable<void> readd_groups(std::size_t shard);
  /// leave_all_groups' commands for one shard, sent again after a reset (three attempts in
  /// about half a second); a failure given up is logged (the memberships then expire with group_expiry, as
  /// channels_redis's do when a process dies).
  awaitable<void> discard_on_shard(std::size_t shard, std::vector<std::vector<std::string>> commands);
  void handle_member(std::string const& payload, double score);
  void deliver_local(std::string const& channel, message const& msg, std::uint64_t serial);
  /// deliver_local for each of `channels`; one that throws costs only its socket the message.
  void deliver_here(std::vector<std::string> const& channels, message const& msg, std::uint64_t serial);
  /// The queue this layer's channels are named after (client_prefix_): its name, key and shard.
  void name_own_queue();
  /// The index of the thread whose layer made `channel`, a channel of this process; this
  /// layer's own index when it has no siblings, and past the last index when the name carries
  /// none (no thread has it: deliver_local drops and counts it).
  std::size_t owner_of(std::string_view channel) const noexcept;
  enum class sibling_post : std::uint8_t {
    posted,
    refused,  // that thread is as far behind as its Redis queue could be: the queue's "full"
  };
  /// Posts the message for `channels` (all of the layer at `owner`) to that layer's thread,
  /// unless that thread is that far behind. `sent_at`: when the message was sent (its expiry
  /// counts from there).
  sibling_post post_to_sibling(std::size_t owner, std::vector<std::string> channels, message const& msg,
                               double sent_at);
  /// Hands a message for `channels` (all of this process) out: this thread's at once, each
  /// other thread's in one post. Returns how many posts were refused (their thread is behind).
  std::size_t hand_out(std::vector<std::string> channels, message const& msg, double sent_at);
  /// On this layer's executor: a message a sibling posted at `sent_at` for these local
  /// channels (dropped like a queued one when older than expiry, or when this layer stopped).
  void deliver_from_sibling(std::vector<std::string> const& channels, message const& msg, double sent_at);
  // channel_layer_missed.cpp: telling the sockets a message dropped for them in this process.
  /// `channels` (of this process) missed a message: this thread's are noted here, each other
  /// thread's noted there (tell_missed_later).
  void report_missed(std::vector<std::string> channels);
  /// Notes `channels` of the layer of `sibling`'s thread; one post (at most one on its way)
  /// hands them to that layer once its thread runs, after the messages queued before.
  void tell_missed_later(process_queues::sibling& sibling, std::vector<std::string> channels);
  /// On this layer's executor: notes a channel of this thread; one posted flush tells each noted
  /// channel once, however many messages it missed meanwhile.
  void note_missed(std::string channel);
  /// The posted flush: on_missed_ for each noted channel still open here.
  void tell_noted_missed();
  /// The channels of this process a decoded message names; `count_others`: the other names
  /// count as dropped for an unknown channel.
  std::vector<std::string> own_channels_named(message const& msg, bool count_others);
  std::size_t shard_for_group(std::string_view group) const;
  std::size_t shard_for_channel(std::string_view channel);
  std::string random_hex(std::size_t bytes) const;
  // channel_layer_overflow.cpp: messages waiting for room in a full process queue, or behind
  // an earlier message's write to it.
  /// A message for a busy queue, behind the ones before it; false when dropped at the limit.
  bool queue_behind(std::string const& key, waiting_message msg);
  /// group_send's own write for `key` came back: `found_full` is its message if there was no room.
  void direct_write_done(std::string const& key, std::optional<waiting_message> found_full);
  void start_writer(std::string const& key);
  /// The queue's one writer: writes its waiting messages in order, with the queue's own back-off.
  awaitable<void> write_waiting(std::string key);

  asio::any_io_executor executor_;
  layer_config config_;
  clock now_;
  serializer serializer_;
  capacity_table capacities_;
  std::vector<std::shared_ptr<resp_connection>> commands_;  // one per shard, pipelined commands
  std::vector<std::shared_ptr<resp_connection>> receivers_;  // one per shard, blocking pops
  script send_script_, group_send_script_, group_members_script_, flush_script_, send_in_order_script_;
  std::string instance_id_;
  std::string client_prefix_;
  std::string channel_tag_;  // "<thread index>." once the queue is shared, else empty
  std::size_t thread_index_ = 0;
  std::string non_local_;  // "specific.<client_prefix>!"
  std::string queue_key_;
  std::size_t queue_shard_ = 0;  // the shard holding queue_key_: its receiver reads it
  std::unordered_set<std::string> local_channels_;
  std::shared_ptr<process_queues const> siblings_;  // share_process(); null when alone
  group_memberships memberships_;  // local channels' groups, both ways
  message_handler on_message_;
  std::function<void()> on_reconnect_;
  missed_handler on_missed_;
  std::unordered_set<std::string> missed_here_;  // noted by note_missed, told by the flush
  bool missed_flush_posted_ = false;
  std::atomic<std::uint64_t>* readiness_mirror_ = nullptr;
  std::vector<bool> groups_in_place_;  // per shard: memberships re-added since its last reconnect
  bool resync_due_ = false;            // a connection came back after a loss
  bool receiver_came_back_ = false;    // ... and it was a receiver: the siblings resync too
  asio::steady_timer refresh_timer_;
  std::size_t round_robin_ = 0;
  std::size_t loops_down_ = 0;  // supervised loops between a failure and their restart
  bool stopped_ = false;
  layer_stats stats_;
  overflow_queue overflow_;
  std::set<asio::steady_timer*> writer_pauses_;  // the writers' back-off timers (stop() cancels them)
  std::uint64_t message_serial_ = 0;     // the last number given to a message (message_serial())
  std::uint64_t delivering_serial_ = 0;  // the number of the message in the handler now
  std::uint64_t release_visits_ = 0;     // release_visits()
  std::size_t leaves_in_progress_ = 0;   // leave_all_groups' batches not answered yet (settle waits)
};

}  // namespace tandem::layer
