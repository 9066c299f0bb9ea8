// A contact appears once however many chats are shared; direct if any of them is 1:1, grouped
// if any is a group.
#include "fakes/fake_presence_records.hpp"

#include <set>

namespace tandem::fakes {

void
fake_presence_records::share_chat(std::int64_t a, std::int64_t b, std::int64_t chat, bool direct)
{
  links_[a].push_back({b, chat, direct});
  links_[b].push_back({a, chat, direct});
}

std::set<std::int64_t>
fake_presence_records::chats_of(std::int64_t user) const
{
  std::set<std::int64_t> chats;
  if (auto const it = links_.find(user); it != links_.end())
    for (auto const& l : it->second) chats.insert(l.chat);
  return chats;
}

awaitable<store::contact_list>
fake_presence_records::contacts_of(std::int64_t user, std::int64_t chat)
{
  co_await wait_for(faults.delay);
  if (on_contacts_lookup) on_contacts_lookup({user});
  if (faults.take() != fault::none) {
    store::contact_list out;
    out.status = store::store_status::unavailable;
    out.error = "injected";
    co_return out;
  }
  co_return contacts_now(user, chat);
}

awaitable<std::optional<core::visibility>>
fake_presence_records::own_visibility(std::int64_t user)
{
  co_await wait_for(faults.delay);
  if (faults.take() != fault::none) co_return std::nullopt;
  co_return visibility_of(user);
}

awaitable<std::vector<store::contact_list>>
fake_presence_records::contacts_of_many(std::vector<std::int64_t> users,
                                        std::optional<std::vector<std::int64_t>> among)
{
  co_await wait_for(faults.delay);
  if (on_contacts_lookup) on_contacts_lookup(users);
  std::vector<store::contact_list> out;
  if (faults.take() != fault::none) {
    out.resize(users.size());
    for (auto& list : out) {
      list.status = store::store_status::unavailable;
      list.error = "injected";
    }
    co_return out;
  }
  for (auto const user : users) {
    out.push_back(contacts_now(user, 0));
    if (!among) continue;
    std::set<std::int64_t> const listed(among->begin(), among->end());
    std::erase_if(out.back().contacts, [&](store::contact const& c) { return !listed.contains(c.user_id); });
  }
  co_return out;
}

awaitable<std::optional<std::vector<std::int64_t>>>
fake_presence_records::viewers_of_many(std::vector<std::int64_t> users)
{
  co_await wait_for(faults.delay);
  if (faults.take() != fault::none) co_return std::nullopt;
  std::set<std::int64_t> viewers;
  for (auto const user : users)
    for (auto const& l : links_[user]) viewers.insert(l.other);
  for (auto const user : users) viewers.erase(user);
  co_return std::vector<std::int64_t>(viewers.begin(), viewers.end());
}

store::contact_list
fake_presence_records::contacts_now(std::int64_t user, std::int64_t chat)
{
  store::contact_list out;
  out.status = store::store_status::ok;
  auto const visibility_of = [&](std::int64_t u) {
    auto const it = visibility_.find(u);
    return it == visibility_.end() ? core::visibility::everyone : it->second;
  };
  out.own_visibility = visibility_of(user);
  std::map<std::int64_t, store::contact> by_user;
  std::set<std::int64_t> group_chats;
  for (auto const& l : links_[user]) {
    if (!l.direct) group_chats.insert(l.chat);
    auto& c = by_user[l.other];
    c.user_id = l.other;
    c.direct = c.direct || l.direct;
    c.grouped = c.grouped || !l.direct;
    c.in_chat = c.in_chat || (chat != 0 && l.chat == chat);
    c.visibility = visibility_of(l.other);
    if (auto const seen = row(l.other)) c.last_seen = seen->last_seen;
  }
  for (auto const& [id, c] : by_user) out.contacts.push_back(c);
  out.group_chats.assign(group_chats.begin(), group_chats.end());
  return out;
}

awaitable<bool>
fake_presence_records::write_status(std::int64_t user, bool online, std::int64_t connections,
                                    std::optional<core::unix_ms> last_seen)
{
  if (write_faults.take() != fault::none) co_return false;
  land(user, online, connections, last_seen);
  co_return true;
}

awaitable<bool>
fake_presence_records::write_statuses(std::vector<store::status_write> rows)
{
  if (write_faults.take() != fault::none) co_return false;
  co_await wait_for(write_faults.delay);
  for (auto const& r : rows) land(r.user, r.online, r.connections, r.last_seen);
  co_return true;
}

void
fake_presence_records::land(std::int64_t user, bool online, std::int64_t connections,
                            std::optional<core::unix_ms> last_seen)
{
  auto const previous = row(user);
  if (!last_seen && previous) last_seen = previous->last_seen;  // kept when not given
  status_row const written{user, online, connections, last_seen};
  if (before_write) before_write(written);
  writes.push_back(written);
}

std::optional<status_row>
fake_presence_records::row(std::int64_t user) const
{
  for (auto it = writes.rbegin(); it != writes.rend(); ++it)
    if (it->user == user) return *it;
  return std::nullopt;
}

}  // namespace tandem::fakes
