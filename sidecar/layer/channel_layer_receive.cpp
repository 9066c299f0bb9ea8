// The receiving half of channel_layer: one loop per shard pops this process's queue (in
// batches; BZMPOP where the server has it), decodes each member and hands it to the channels
// it names, on whichever of the process's threads they live (only the first thread's layer
// reads the queue).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "layer/channel_layer.hpp"
#include "layer/names.hpp"

namespace tandem::layer {

awaitable<void>
channel_layer::receive_loop(std::size_t shard)
{
  auto self = shared_from_this();
  auto& connection = *receivers_[shard];
  // A batch is read whole into memory: when members are large, ask for fewer at a time so
  // one pop stays around batch_bytes_goal, not receive_batch times the largest message.
  constexpr std::size_t batch_bytes_goal = 4 * 1024 * 1024;
  std::size_t batch_size = std::max<std::size_t>(1, config_.receive_batch);
  auto const block = std::to_string(config_.receive_block.count());
  // Redis 7's BZMPOP blocks until the queue has members and then pops up to a batch in the same
  // command: one command per wake-up. Older servers (and ACLs that deny it) answer an error, and
  // this loop falls back to what channels_redis does, a ZPOPMIN drain then BZPOPMIN when empty,
  // which costs two or three commands per message when traffic is light.
  bool use_bzmpop = true;
  asio::steady_timer pause{executor_};
  auto take = [&](resp_value const& member, resp_value const& score_text) {
    double score = 0;
    std::from_chars(score_text.str.data(), score_text.str.data() + score_text.str.size(), score);
    handle_member(member.str, score);
    return member.str.size();
  };
  auto resize_batch = [&](std::size_t bytes, std::size_t members) {
    auto const per_member = std::max<std::size_t>(1, bytes / std::max<std::size_t>(1, members));
    batch_size = std::clamp<std::size_t>(batch_bytes_goal / per_member, 1, std::max<std::size_t>(1, config_.receive_batch));
  };
  while (!stopped_) {
    if (!connection.connected()) {
      co_await connection.wait_connected(std::chrono::seconds{1});
      continue;
    }
    if (use_bzmpop) {
      std::vector<std::vector<std::string>> pop{
          {"BZMPOP", block, "1", queue_key_, "MIN", "COUNT", std::to_string(batch_size)}};
      auto popped = co_await connection.run(std::move(pop), config_.receive_block);
      if (popped.ec) {  // reset, or no answer in time: let the connection settle first
        pause.expires_after(std::chrono::milliseconds{100});
        error_code ec;
        co_await pause.async_wait(as_value(ec));
        continue;
      }
      auto const& reply = popped.replies[0];
      if (reply.is_error()) {
        // Only a server that does not have BZMPOP, or may not run it, means "never": -LOADING,
        // -READONLY or -MASTERDOWN during a restart or failover pass, so wait and try again.
        if (reply.str.starts_with("ERR unknown command") || reply.str.starts_with("NOPERM")) {
          use_bzmpop = false;
          spdlog::info("event=layer_receive_fallback queue={} reason=\"{}\" using=BZPOPMIN", queue_key_, reply.str);
        } else {
          pause.expires_after(std::chrono::milliseconds{100});
          error_code ec;
          co_await pause.async_wait(as_value(ec));
        }
        continue;
      }
      // Nil when the block timed out; else [key, [[member, score], ...]].
      if (reply.type != resp_value::kind::array || reply.elements.size() != 2) continue;
      std::size_t bytes = 0, members = 0;
      for (auto const& pair : reply.elements[1].elements) {
        if (pair.elements.size() != 2) continue;
        bytes += take(pair.elements[0], pair.elements[1]);
        ++members;
      }
      resize_batch(bytes, members);
      continue;
    }
    // Drain what is queued without blocking; block only when the queue is empty.
    std::vector<std::vector<std::string>> drain{{"ZPOPMIN", queue_key_, std::to_string(batch_size)}};
    auto drained = co_await connection.run(std::move(drain));
    if (!drained.ec && !drained.replies[0].is_error() && !drained.replies[0].elements.empty()) {
      auto const& flat = drained.replies[0].elements;  // member, score, member, score, ...
      std::size_t bytes = 0;
      for (std::size_t i = 0; i + 1 < flat.size(); i += 2) bytes += take(flat[i], flat[i + 1]);
      resize_batch(bytes, flat.size() / 2);
      continue;
    }
    if (drained.ec || drained.replies[0].is_error()) {
      pause.expires_after(std::chrono::milliseconds{100});  // the connection is resetting
      error_code ec;
      co_await pause.async_wait(as_value(ec));
      continue;
    }
    std::vector<std::vector<std::string>> wait{{"BZPOPMIN", queue_key_, block}};
    auto popped = co_await connection.run(std::move(wait), config_.receive_block);
    if (popped.ec || popped.replies[0].type != resp_value::kind::array) continue;  // timeout: nil
    auto const& triple = popped.replies[0].elements;  // key, member, score
    if (triple.size() == 3) take(triple[1], triple[2]);
  }
}

void
channel_layer::handle_member(std::string const& payload, double score)
{
  double const now = now_();
  if (score < now - static_cast<double>(config_.expiry_s)) {
    ++stats_.dropped_expired;  // channels_redis would still deliver it; its sender gave up long ago
    // ... but the sockets it was for never had it and nothing else will bring it: they sync.
    // Decoded only here, on this rare path (the reader was stalled or away that long).
    auto decoded = serializer_.deserialize(payload, static_cast<std::int64_t>(now), true);  // any age
    if (decoded.value && decoded.value->is_object()) report_missed(own_channels_named(*decoded.value, false));
    return;
  }
  auto decoded = serializer_.deserialize(payload, static_cast<std::int64_t>(now));
  if (!decoded.value || !decoded.value->is_object()) {
    ++stats_.dropped_undecodable;
    spdlog::error("event=layer_message_undecodable queue={} error=\"{}\" bytes={}", queue_key_, decoded.error,
                  payload.size());
    return;
  }
  ++stats_.received;
  message msg = std::move(*decoded.value);
  if (!msg.contains(asgi_channel_key)) {
    ++stats_.dropped_unknown_channel;  // a member of our queue must name its channel(s)
    return;
  }
  auto channels = own_channels_named(msg, true);
  msg.erase(std::string{asgi_channel_key});
  // This layer reads the queue for every thread of the process: the others' channels are posted
  // to them, counting the wait from when the message was queued.
  auto const refused = hand_out(std::move(channels), msg, score);
  for (std::size_t i = 0; i < refused; ++i)
    if (stats_.pending_dropped++ % 1000 == 0)
      spdlog::warn("event=layer_pending_dropped reason=thread_behind queue={} dropped_total={}", queue_key_,
                   stats_.pending_dropped);
}

std::vector<std::string>
channel_layer::own_channels_named(message const& msg, bool count_others)
{
  std::vector<std::string> channels;
  auto const target = msg.find(asgi_channel_key);
  if (target == msg.end()) return channels;
  // Anyone who can write to Redis can write a member here: only names of this process's
  // channels are kept, before any of them is looked at further.
  auto const keep = [&](message const& name) {
    auto const* text = name.get_ptr<std::string const*>();
    if (text && valid_channel_name(*text) && non_local_name(*text) == non_local_)
      channels.push_back(*text);
    else if (count_others)
      ++stats_.dropped_unknown_channel;
  };
  if (target->is_array()) {
    for (auto const& channel : *target) keep(channel);
  } else {
    keep(*target);
  }
  return channels;
}

void
channel_layer::deliver_local(std::string const& channel, message const& msg, std::uint64_t serial)
{
  if (!local_channels_.contains(channel)) {
    ++stats_.dropped_unknown_channel;  // closed since the sender looked it up; Python would buffer it
    return;
  }
  delivering_serial_ = serial;
  if (on_message_) on_message_(channel, msg);
  // Counted once handed over: a delivery that threw is counted by the caller as failed, not
  // also as delivered.
  ++stats_.local_deliveries;
}

}  // namespace tandem::layer
