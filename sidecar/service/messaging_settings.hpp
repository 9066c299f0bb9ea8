// What the messaging use cases are told at start-up (built from sidecar_config by the app).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "core/frame_rules.hpp"
#include "protocol/chat_requests.hpp"

namespace tandem::service {

struct messaging_settings {
  core::frame_limits limits;
  protocol::history_limits pages;
  std::size_t sync_page = 200;          // messages per sync frame
  std::size_t sync_max = 1000;          // a larger gap is answered with reload instead
  double pending_ttl_s = 7 * 86400.0;   // undelivered entries expire after this
  std::chrono::milliseconds pending_purge_interval{3600 * 1000};  // how often expired ones are deleted
  bool history_from_join = false;      // history and sync start at the seq a member joined at
  std::size_t notifications_max_chats = 1000;  // chat groups a /ws/notifications/ socket joins
  std::size_t receipt_batch_max = 64;          // receipts applied in one statement (store::receipt_batcher)
  std::size_t send_batch_max = 32;             // sends stored in one statement (store::send_batcher)
  std::size_t receipt_news_memory = 4096;      // ticks told per thread (core::told_ticks), so racing receipts tell once
  std::size_t republish_capacity = 10000;         // stored messages waiting for the layer; beyond, the oldest is given up
  std::chrono::milliseconds republish_pause{1000};  // after a failed publish: one attempt per pause, not a spin
  std::string chat_group_prefix = "chat_";
  std::string user_group_prefix = "user_";
};

}  // namespace tandem::service
