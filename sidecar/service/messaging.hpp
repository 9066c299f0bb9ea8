// The messaging use cases behind the socket frames: send (persist, ack, publish to the chat),
// receipts (advance the marker, tell senders and the reader's other tabs), sync and history.
// Each returns the frames for the asking socket; fan-out to others goes through the message bus
// (the channel layer), so it reaches sockets on every sidecar process and Python consumers alike.
// Depends only on the ports in service/ports: tested in memory, wired to PostgreSQL and Redis
// by the composition root.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "asio/asio.hpp"
#include "core/told_ticks.hpp"
#include "ops/metrics.hpp"
#include "protocol/chat_requests.hpp"
#include "service/lost_chat_hints.hpp"
#include "service/messaging_settings.hpp"
#include "service/ports/clock.hpp"
#include "service/ports/message_bus.hpp"
#include "service/ports/message_store.hpp"
#include "service/republisher.hpp"

namespace tandem::service {

struct send_outcome {
  std::string reply;  // ack or error frame
  std::optional<protocol::message_record> publish;  // set when newly stored: give it to publish()
};

struct sync_outcome {
  std::vector<std::string> frames;  // sync pages, or one error frame
  /// The newest seq the pages cover; live messages of the chat up to it are duplicates.
  std::optional<core::seq_t> covered_upto;
};

class messaging {
 public:
  messaging(asio::any_io_executor executor, message_store& store, message_bus& bus, clock const& clock,
            messaging_settings const& settings, ops::thread_metrics& metrics);

  awaitable<send_outcome> send(std::int64_t user, protocol::send_request const& request);
  /// The stored message to the chat's group (every participant's sockets, the sender's tabs).
  /// If the layer does not take it, it is queued and published again once it does.
  awaitable<void> publish(protocol::message_record const& message);
  /// Queues the message behind those waiting to be published, without waiting.
  void publish_later(protocol::message_record message) { republisher_.add(std::move(message)); }
  /// Starts and stops the retries of failed publishes; drains them (bounded) at exit.
  void start()
  {
    lost_chats_.start();
    republisher_.start();
  }
  void stop()
  {
    republisher_.stop();
    lost_chats_.stop();
  }
  /// Acknowledged messages not published yet, or losses not told yet (at exit: see
  /// io_worker::wind_down).
  bool unpublished() const noexcept { return !republisher_.empty() || !lost_chats_.empty(); }
  awaitable<void> drain_publishes(std::chrono::milliseconds limit);
  /// An error frame, or nothing (the receipt needs no answer).
  awaitable<std::optional<std::string>> receipt(std::int64_t user, protocol::receipt_request const& request);
  awaitable<sync_outcome> sync(std::int64_t user, protocol::sync_request const& request);
  awaitable<std::string> history(std::int64_t user, protocol::history_request const& request);

 private:
  std::string store_error(store::store_status status, std::string_view what, std::string const& error,
                          std::optional<std::string> const& ref);
  /// Where the user's view of the chat starts: the seq they joined at with history_from_join,
  /// else 0 (everything).
  awaitable<store::member_start> history_start(std::int64_t chat, std::int64_t user);
  /// One group_send of a stored message; true when the layer took it (or refused it for good).
  awaitable<bool> try_publish(protocol::message_record const& message);
  /// Tells one chat's group that a message of it was lost (lost_chats_'s tell_fn).
  awaitable<bool> tell_lost_chat(std::int64_t chat);
  awaitable<void> tell_senders(std::int64_t reader, protocol::receipt_request const& request,
                               store::applied_receipt const& applied);

  message_store& store_;
  message_bus& bus_;
  clock const& clock_;
  messaging_settings const& settings_;
  ops::thread_metrics& metrics_;
  /// publish_failed is logged once per interval with a count, not once per message: an
  /// outage would otherwise write hundreds of lines.
  std::chrono::steady_clock::time_point publish_warned_at_{};
  std::uint64_t publish_failures_unlogged_ = 0;
  lost_chat_hints lost_chats_;  // before republisher_, which reports its losses to it
  republisher republisher_;
  core::told_ticks told_ticks_;  // see receipt_news_memory
};

}  // namespace tandem::service
