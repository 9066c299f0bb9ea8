// The periodic membership backstop of a /ws/notifications/ socket (docs/protocol.md,
// "Membership"): rows changed by code that does not send tandem.membership (a raw DELETE, an
// admin action) are caught within auth_recheck_interval. The socket's chat groups are compared
// with the database's list of the user's chats, and each difference goes through the same
// membership_changed() a tandem.membership event would.
#include <spdlog/spdlog.h>

#include "net/io_worker.hpp"
#include "net/websocket_session.hpp"

namespace tandem::net {

awaitable<void>
websocket_session::recheck_notification_chats()
{
  auto const events_before = membership_events_;
  auto const limit = worker_.process.messaging.notifications_max_chats;
  auto const current = co_await worker_.messages.chats_of(identity_.user_id, limit);
  // An outage keeps the socket as it is: only a definite answer changes its groups.
  if (current.status != store::store_status::ok || finishing() || closing()) co_return;
  // A tandem.membership event handled while the list was read may be newer than the list (a
  // removal committed just after the read): never undo it; the next round compares again.
  if (membership_events_ != events_before) co_return;
  std::set<std::int64_t> const now_member(current.ids.begin(), current.ids.end());
  bool const complete = current.ids.size() < limit;  // else the list stops at the cap
  std::vector<std::int64_t> gone, added;
  for (auto const chat : joined_chats_)
    if (!now_member.contains(chat)) gone.push_back(chat);
  if (!complete) {
    // A chat past the cap is not proof of leaving: ask about each one.
    std::vector<std::int64_t> left;
    for (auto const chat : gone) {
      auto const member = co_await worker_.tables.is_participant(chat, identity_.user_id);
      if (!member.unavailable && member.value && !*member.value) left.push_back(chat);
    }
    gone = std::move(left);
  }
  if (complete)
    for (auto const chat : current.ids)
      if (!joined_chats_.contains(chat)) added.push_back(chat);
  if (finishing() || closing() || membership_events_ != events_before) co_return;
  for (auto const chat : gone) {
    spdlog::info("event=ws_membership_recheck conn={} chat={} member=false", identity_.connection_id, chat);
    membership_changed(chat, false);
  }
  for (auto const chat : added) {
    spdlog::info("event=ws_membership_recheck conn={} chat={} member=true", identity_.connection_id, chat);
    membership_changed(chat, true);
  }
  // The user is still a member of every chat left in joined_chats_ (removals were just applied).
  rejoin_failed_groups();
}

}  // namespace tandem::net
