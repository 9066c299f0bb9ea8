// In-memory presence rows: each user's contacts (as the contacts query answers them) and the
// status rows written, with every write kept in order. contacts_of fails as the plan says.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "fakes/fault_plan.hpp"
#include "service/ports/presence_records.hpp"

namespace tandem::fakes {

struct status_row {
  std::int64_t user = 0;
  bool online = false;
  std::int64_t connections = 0;
  std::optional<core::unix_ms> last_seen;
};

class fake_presence_records final : public service::presence_records {
 public:
  awaitable<store::contact_list> contacts_of(std::int64_t user, std::int64_t chat) override;
  /// Fails as `faults` says (as contacts_of).
  awaitable<std::optional<core::visibility>> own_visibility(std::int64_t user) override;
  awaitable<bool> write_status(std::int64_t user, bool online, std::int64_t connections,
                               std::optional<core::unix_ms> last_seen) override;
  /// One call each (one fault taken for the whole batch), as one statement.
  awaitable<bool> write_statuses(std::vector<store::status_write> rows) override;
  awaitable<std::vector<store::contact_list>> contacts_of_many(
      std::vector<std::int64_t> users, std::optional<std::vector<std::int64_t>> among) override;
  /// One call (one fault of `faults` taken), as one query.
  awaitable<std::optional<std::vector<std::int64_t>>> viewers_of_many(std::vector<std::int64_t> users) override;

  /// `a` and `b` share a chat (`direct`: a 1:1 chat, so they are contacts); `chat` marks the
  /// chat they share for contacts_of(user, chat).
  void share_chat(std::int64_t a, std::int64_t b, std::int64_t chat, bool direct);
  void set_visibility(std::int64_t user, core::visibility v) { visibility_[user] = v; }
  core::visibility visibility_of(std::int64_t user) const
  {
    auto const it = visibility_.find(user);
    return it == visibility_.end() ? core::visibility::everyone : it->second;
  }
  /// Every chat `user` shares with someone (the groups of a socket on /ws/notifications/).
  std::set<std::int64_t> chats_of(std::int64_t user) const;
  /// The newest status row written for `user`.
  std::optional<status_row> row(std::int64_t user) const;

  fault_plan faults;        // for contacts_of
  fault_plan write_faults;  // for write_status: a failed write lands nothing and answers false
  std::vector<status_row> writes;
  /// Called with each status write just before it lands: a test lets another process act
  /// there (its store step and its own row write landing first, as over a slow link).
  std::function<void(status_row const&)> before_write;
  /// Called at the start of each contacts lookup (either kind), with the users asked about: a
  /// test throws from it (a lookup that blew up half way through an announcement).
  std::function<void(std::vector<std::int64_t> const&)> on_contacts_lookup;

 private:
  /// contacts_of's answer, once the call was let through.
  store::contact_list contacts_now(std::int64_t user, std::int64_t chat);
  /// write_status's landing, once the call was let through.
  void land(std::int64_t user, bool online, std::int64_t connections, std::optional<core::unix_ms> last_seen);

  struct link {
    std::int64_t other = 0;
    std::int64_t chat = 0;
    bool direct = false;
  };
  std::map<std::int64_t, std::vector<link>> links_;
  std::map<std::int64_t, core::visibility> visibility_;
};

}  // namespace tandem::fakes
