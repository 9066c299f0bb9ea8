// An in-memory message store with the real one's rules: members only, one message per
// (sender, client_id), per-chat seqs from 1, markers that only move forward. Faults from its
// plan turn the next calls into the store's failures (unavailable, failed, forbidden), after an
// optional delay; `commits` counts the messages it stored.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "fakes/fault_plan.hpp"
#include "service/ports/clock.hpp"
#include "service/ports/message_store.hpp"

namespace tandem::fakes {

class fake_message_store final : public service::message_store {
 public:
  explicit fake_message_store(service::clock const& clock) : clock_{clock} {}

  /// A chat with these members (all with read receipts on, nothing received yet).
  void add_chat(std::int64_t chat, std::vector<std::int64_t> members, bool is_group);
  void set_read_receipts(std::int64_t chat, std::int64_t user, bool on);
  /// `user` joins `chat` now: their joined_seq is the chat's newest seq.
  void join(std::int64_t chat, std::int64_t user);
  std::vector<protocol::message_record> const& messages_of(std::int64_t chat) const { return chats_.at(chat).messages; }

  awaitable<store::sent_message> send(std::int64_t chat, std::int64_t sender, std::string client_id, std::string body,
                                      double pending_ttl_s) override;
  awaitable<store::applied_receipt> apply_receipt(std::int64_t chat, std::int64_t user, core::receipt_kind kind,
                                                  core::seq_t upto) override;
  awaitable<store::chat_markers> markers(std::int64_t chat, core::seq_t after, core::seq_t upto) override;
  awaitable<store::chat_markers> receipt_markers(std::int64_t chat, std::int64_t reader, core::receipt_marker before,
                                                 core::receipt_marker after) override;
  std::size_t receipt_markers_read = 0;  // receipt_markers calls that returned the members
  awaitable<store::message_page> after(std::int64_t chat, core::seq_t after, core::seq_t upto,
                                       std::size_t limit) override;
  awaitable<store::message_page> before(std::int64_t chat, std::optional<core::seq_t> before,
                                        std::size_t limit) override;
  awaitable<store::member_start> joined_seq(std::int64_t chat, std::int64_t user) override;
  double retry_after_s() const override { return retry_after; }

  fault_plan faults;
  double retry_after = 0;  // what the "breaker" says after an outage
  std::size_t commits = 0;

 private:
  struct chat_state {
    bool is_group = false;
    std::vector<core::member_marker> members;
    std::vector<protocol::message_record> messages;  // seq order
    std::map<std::int64_t, core::seq_t> joined_at;    // members who joined after the start
  };
  /// The planned fault as a store status (ok when none), after the planned delay.
  awaitable<store::store_status> outcome();
  core::member_marker* member(std::int64_t chat, std::int64_t user);

  service::clock const& clock_;
  std::map<std::int64_t, chat_state> chats_;
  std::map<std::pair<std::int64_t, std::string>, protocol::message_record> by_client_id_;
  std::int64_t next_id_ = 1000;
};

}  // namespace tandem::fakes
