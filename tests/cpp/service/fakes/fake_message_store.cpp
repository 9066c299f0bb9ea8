// Rules as the SQL functions of the Django app's migrations apply them (tandem_send_message,
// tandem_apply_receipt), kept as small as the tests need.
#include "fakes/fake_message_store.hpp"

#include <algorithm>

namespace tandem::fakes {

void
fake_message_store::add_chat(std::int64_t chat, std::vector<std::int64_t> members, bool is_group)
{
  auto& state = chats_[chat];
  state.is_group = is_group;
  for (auto const user : members) state.members.push_back({user, {}, true});
}

void
fake_message_store::set_read_receipts(std::int64_t chat, std::int64_t user, bool on)
{
  member(chat, user)->read_receipts = on;
}

void
fake_message_store::join(std::int64_t chat, std::int64_t user)
{
  auto& state = chats_.at(chat);
  state.members.push_back({user, {}, true});
  state.joined_at[user] = static_cast<core::seq_t>(state.messages.size());
}

core::member_marker*
fake_message_store::member(std::int64_t chat, std::int64_t user)
{
  auto const it = chats_.find(chat);
  if (it == chats_.end()) return nullptr;
  for (auto& m : it->second.members)
    if (m.user_id == user) return &m;
  return nullptr;
}

awaitable<store::store_status>
fake_message_store::outcome()
{
  co_await wait_for(faults.delay);
  switch (faults.take()) {
    case fault::none: co_return store::store_status::ok;
    case fault::forbidden: co_return store::store_status::forbidden;
    case fault::failed:
    case fault::refused: co_return store::store_status::failed;
    default: co_return store::store_status::unavailable;
  }
}

awaitable<store::sent_message>
fake_message_store::send(std::int64_t chat, std::int64_t sender, std::string client_id, std::string body, double)
{
  store::sent_message out;
  out.status = co_await outcome();
  if (out.status != store::store_status::ok) {
    out.error = "injected";
    co_return out;
  }
  if (!member(chat, sender)) {
    out.status = store::store_status::forbidden;
    co_return out;
  }
  auto const key = std::make_pair(sender, client_id);
  if (auto const seen = by_client_id_.find(key); seen != by_client_id_.end()) {
    out.message = seen->second;
    out.duplicate = true;
    co_return out;
  }
  auto& state = chats_.at(chat);
  protocol::message_record const record{next_id_++, chat, static_cast<core::seq_t>(state.messages.size()) + 1, sender,
                                        std::move(client_id), std::move(body), clock_.wall_ms()};
  state.messages.push_back(record);
  by_client_id_.emplace(key, record);
  ++commits;
  out.message = record;
  co_return out;
}

awaitable<store::applied_receipt>
fake_message_store::apply_receipt(std::int64_t chat, std::int64_t user, core::receipt_kind kind, core::seq_t upto)
{
  store::applied_receipt out;
  out.status = co_await outcome();
  if (out.status != store::store_status::ok) co_return out;
  auto* marker = member(chat, user);
  if (!marker) {
    out.status = store::store_status::forbidden;
    co_return out;
  }
  auto const last = static_cast<core::seq_t>(chats_.at(chat).messages.size());
  out.before = marker->marker;
  auto const advance = core::apply_receipt(marker->marker, kind, std::min(upto, last));
  marker->marker = advance.marker;
  out.after = advance.marker;
  out.changed = advance.changed;
  out.at = clock_.wall_ms();
  co_return out;
}

awaitable<store::chat_markers>
fake_message_store::markers(std::int64_t chat, core::seq_t after, core::seq_t upto)
{
  store::chat_markers out;
  out.status = co_await outcome();
  if (out.status != store::store_status::ok) co_return out;
  auto const& state = chats_.at(chat);
  out.members = state.members;
  out.is_group = state.is_group;
  out.last_seq = static_cast<core::seq_t>(state.messages.size());
  for (auto const& m : state.messages)
    if (m.seq > after && m.seq <= upto &&
        std::find(out.senders_in_range.begin(), out.senders_in_range.end(), m.sender) == out.senders_in_range.end())
      out.senders_in_range.push_back(m.sender);
  co_return out;
}

awaitable<store::chat_markers>
fake_message_store::receipt_markers(std::int64_t chat, std::int64_t reader, core::receipt_marker before,
                                    core::receipt_marker after)
{
  auto out = co_await markers(chat, std::min(before.delivered_upto, before.read_upto),
                              std::max(after.delivered_upto, after.read_upto));
  if (out.status != store::store_status::ok) co_return out;
  // The PostgreSQL statement's gate, over the marks the markers were read from (one snapshot).
  if (!core::receipt_news_possible(before, after, core::others_behind_of(out.members, reader, before))) {
    out.members.clear();
    out.senders_in_range.clear();
    co_return out;
  }
  ++receipt_markers_read;
  co_return out;
}

awaitable<store::message_page>
fake_message_store::after(std::int64_t chat, core::seq_t after, core::seq_t upto, std::size_t limit)
{
  store::message_page out;
  out.status = co_await outcome();
  if (out.status != store::store_status::ok) co_return out;
  for (auto const& m : chats_.at(chat).messages)
    if (m.seq > after && m.seq <= upto && out.messages.size() < limit) out.messages.push_back(m);
  co_return out;
}

awaitable<store::message_page>
fake_message_store::before(std::int64_t chat, std::optional<core::seq_t> before, std::size_t limit)
{
  store::message_page out;
  out.status = co_await outcome();
  if (out.status != store::store_status::ok) co_return out;
  auto const& all = chats_.at(chat).messages;
  for (auto it = all.rbegin(); it != all.rend() && out.messages.size() < limit; ++it)
    if (!before || it->seq < *before) out.messages.insert(out.messages.begin(), *it);
  co_return out;
}

awaitable<store::member_start>
fake_message_store::joined_seq(std::int64_t chat, std::int64_t user)
{
  store::member_start out;
  out.status = co_await outcome();
  if (out.status != store::store_status::ok) co_return out;
  if (!member(chat, user)) {
    out.status = store::store_status::forbidden;
    co_return out;
  }
  auto const& joined = chats_.at(chat).joined_at;
  auto const it = joined.find(user);
  out.joined_seq = it == joined.end() ? 0 : it->second;
  co_return out;
}

}  // namespace tandem::fakes
