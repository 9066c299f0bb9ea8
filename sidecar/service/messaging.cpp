// Every path ends in a frame for the asker: an ack, a page, nothing for a receipt, or a typed
// error. Store outages become store_unavailable with retry_after (the breaker's remaining
// open time), so clients back off instead of hammering a database that is down.
#include "service/messaging.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "asio/poll_until.hpp"
#include "core/receipt_news.hpp"
#include "protocol/chat_frames.hpp"
#include "protocol/client_frames.hpp"

namespace tandem::service {

messaging::messaging(asio::any_io_executor executor, message_store& store, message_bus& bus, clock const& clock,
                     messaging_settings const& settings, ops::thread_metrics& metrics)
    : store_{store},
      bus_{bus},
      clock_{clock},
      settings_{settings},
      metrics_{metrics},
      lost_chats_{executor, [this](std::int64_t chat) { return tell_lost_chat(chat); }, settings.republish_pause},
      republisher_{executor, [this](protocol::message_record const& m) { return try_publish(m); },
                   settings.republish_capacity, settings.republish_pause,
                   [this](protocol::message_record const& m) { lost_chats_.add(m.chat); }},
      told_ticks_{settings.receipt_news_memory}
{
}

std::string
messaging::store_error(store::store_status status, std::string_view what, std::string const& error,
                       std::optional<std::string> const& ref)
{
  core::error_code code = core::error_code::internal;
  std::optional<double> retry_after;
  if (status == store::store_status::forbidden) {
    code = core::error_code::forbidden;
  } else if (status == store::store_status::unavailable) {
    code = core::error_code::store_unavailable;
    retry_after = std::max(store_.retry_after_s(), 0.25);
  } else {
    spdlog::error("event=store_failed what={} error=\"{}\"", what, error.substr(0, error.find('\n')));
  }
  metrics_.count_error(code);
  return protocol::error_frame(code, status == store::store_status::forbidden ? "chat" : std::string_view{}, ref,
                               retry_after);
}

awaitable<send_outcome>
messaging::send(std::int64_t user, protocol::send_request const& request)
{
  auto const sent = co_await store_.send(request.chat, user, request.client_id, request.body, settings_.pending_ttl_s);
  if (sent.status != store::store_status::ok)
    co_return send_outcome{store_error(sent.status, "send", sent.error, request.client_id), std::nullopt};
  metrics_.chat_messages_stored.fetch_add(sent.duplicate ? 0 : 1, std::memory_order_relaxed);
  send_outcome out{protocol::ack_frame(sent.message, sent.duplicate), std::nullopt};
  // A duplicate is published again: the first attempt may have committed with its reply lost
  // (a cut PostgreSQL link), so it was never published, and nothing else would tell the
  // recipients' open sockets. Clients drop a repeat by its id.
  out.publish = sent.message;
  co_return out;
}

awaitable<void>
messaging::publish(protocol::message_record const& message)
{
  // Behind earlier failures: keep the order, let the republisher send it after them.
  if (!republisher_.empty()) {
    republisher_.add(message);
    co_return;
  }
  // (GCC 12 miscompiles a co_await inside a condition: the result is taken first.)
  bool const taken = co_await try_publish(message);
  if (!taken) republisher_.add(message);
}

awaitable<bool>
messaging::try_publish(protocol::message_record const& message)
{
  auto const group = settings_.chat_group_prefix + std::to_string(message.chat);
  auto const started = clock_.steady_now();
  auto const result = co_await bus_.group_send(group, protocol::chat_message_event(message));
  metrics_.observe_layer_latency(std::chrono::duration<double>(clock_.steady_now() - started).count());
  if (result.status == bus_status::ok) co_return true;
  if (result.status == bus_status::refused) {
    // A message the layer can never carry: retrying would not help; its chat's sockets are
    // told to sync it.
    spdlog::error("event=publish_refused chat={} seq={} status={}", message.chat, message.seq, result.reason);
    lost_chats_.add(message.chat);
    co_return true;
  }
  {
    // Stored but not announced yet: the republisher tries again once the layer answers.
    metrics_.count_error(core::error_code::layer_unavailable);
    ++publish_failures_unlogged_;
    auto const now = clock_.steady_now();
    if (now - publish_warned_at_ >= std::chrono::seconds{5}) {
      spdlog::warn("event=publish_failed chat={} seq={} status={} failures_since_last_line={}", message.chat,
                   message.seq, result.reason, publish_failures_unlogged_);
      publish_warned_at_ = now;
      publish_failures_unlogged_ = 0;
    }
  }
  co_return false;
}

awaitable<void>
messaging::drain_publishes(std::chrono::milliseconds limit)
{
  // The backlog, and the hints for what was given up or refused, both go out before the exit.
  auto const all_out = [this] { return !unpublished(); };
  co_await poll_until(all_out, limit, std::chrono::milliseconds{10});
}

awaitable<bool>
messaging::tell_lost_chat(std::int64_t chat)
{
  auto const group = settings_.chat_group_prefix + std::to_string(chat);
  auto const told = co_await bus_.group_send(group, protocol::chat_publish_lost_event(chat));
  if (told.status == bus_status::unavailable) co_return false;
  spdlog::warn("event=publish_lost_hint chat={} status={}", chat, told.status == bus_status::ok ? "sent" : told.reason);
  co_return true;
}

awaitable<std::optional<std::string>>
messaging::receipt(std::int64_t user, protocol::receipt_request const& request)
{
  auto const applied = co_await store_.apply_receipt(request.chat, user, request.kind, request.upto);
  if (applied.status != store::store_status::ok)
    co_return store_error(applied.status, "receipt", applied.error, request.ref);
  if (!applied.changed) co_return std::nullopt;  // a repeat says nothing new: send nothing
  metrics_.chat_receipts_applied.fetch_add(1, std::memory_order_relaxed);
  co_await tell_senders(user, request, applied);
  co_return std::nullopt;
}

awaitable<void>
messaging::tell_senders(std::int64_t reader, protocol::receipt_request const& request,
                        store::applied_receipt const& applied)
{
  auto const& before = applied.before;
  auto const& after = applied.after;
  // The reader's other tabs learn what it has read, whatever the senders hear.
  for (auto const kind : {core::receipt_kind::delivered, core::receipt_kind::read}) {
    auto const was = kind == core::receipt_kind::read ? before.read_upto : before.delivered_upto;
    auto const now = kind == core::receipt_kind::read ? after.read_upto : after.delivered_upto;
    if (now <= was) continue;
    co_await bus_.group_send(settings_.user_group_prefix + std::to_string(reader),
                               protocol::chat_receipt_event(request.chat, reader, kind, now, applied.at));
  }
  auto const markers = co_await store_.receipt_markers(request.chat, reader, before, after);
  if (markers.status != store::store_status::ok) {
    // The receipt is stored; senders see it on their next sync or history.
    spdlog::warn("event=receipt_news_skipped chat={} error=\"{}\"", request.chat, markers.error);
    co_return;
  }
  for (auto const& news :
       core::receipt_news(markers.members, reader, before, markers.senders_in_range, markers.is_group)) {
    if (!told_ticks_.first_to_tell(request.chat, news)) continue;  // a racing receipt told it already
    auto const told = co_await bus_.group_send(settings_.user_group_prefix + std::to_string(news.sender_id),
                                               protocol::chat_status_event(request.chat, news.kind, news.upto, applied.at));
    if (told.status != bus_status::ok) told_ticks_.not_told(request.chat, news);
  }
}

awaitable<sync_outcome>
messaging::sync(std::int64_t user, protocol::sync_request const& request)
{
  sync_outcome out;
  auto const markers = co_await store_.markers(request.chat, 0, 0);
  if (markers.status == store::store_status::ok && !markers.has_member(user)) {
    out.frames.push_back(store_error(store::store_status::forbidden, "sync", {}, request.ref));
    co_return out;
  }
  if (markers.status != store::store_status::ok) {
    out.frames.push_back(store_error(markers.status, "sync", markers.error, request.ref));
    co_return out;
  }
  auto const start = co_await history_start(request.chat, user);
  if (start.status != store::store_status::ok) {
    out.frames.push_back(store_error(start.status, "sync", start.error, request.ref));
    co_return out;
  }
  auto const view = core::sender_view(markers.members, user, markers.last_seq, markers.is_group);
  // Messages from before the member joined are not theirs (history_from_join): the gap starts
  // after them, and the first page says so in its `after`.
  auto const from = std::max(request.after, start.joined_seq);
  protocol::sync_page page{request.chat, from, markers.last_seq, false, false, request.ref};
  // The gap is (from, last_seq]: every message in it has committed (seq is bumped in the
  // same transaction as the insert), and anything newer reaches the socket live.
  auto const gap = markers.last_seq > from ? markers.last_seq - from : 0;
  if (static_cast<std::size_t>(gap) > settings_.sync_max) {
    page.reload = true;
    out.frames.push_back(protocol::sync_frame(page, {}, user, view));
    out.covered_upto = markers.last_seq;
    co_return out;
  }
  auto cursor = from;
  do {
    auto const rows = co_await store_.after(request.chat, cursor, markers.last_seq, settings_.sync_page);
    if (rows.status != store::store_status::ok) {
      // Never a silent partial answer: the pages already sent said more=true, this says why not.
      out.frames.push_back(store_error(rows.status, "sync", rows.error, request.ref));
      co_return out;
    }
    page.after = cursor;
    if (!rows.messages.empty()) cursor = rows.messages.back().seq;
    page.more = !rows.messages.empty() && cursor < markers.last_seq;
    out.frames.push_back(protocol::sync_frame(page, rows.messages, user, view));
    if (rows.messages.empty()) break;
  } while (page.more);
  out.covered_upto = markers.last_seq;
  co_return out;
}

awaitable<std::string>
messaging::history(std::int64_t user, protocol::history_request const& request)
{
  auto const markers = co_await store_.markers(request.chat, 0, 0);
  if (markers.status == store::store_status::ok && !markers.has_member(user))
    co_return store_error(store::store_status::forbidden, "history", {}, request.ref);
  if (markers.status != store::store_status::ok) co_return store_error(markers.status, "history", markers.error, request.ref);
  auto const start = co_await history_start(request.chat, user);
  if (start.status != store::store_status::ok) co_return store_error(start.status, "history", start.error, request.ref);
  // One more than asked tells whether an older page exists.
  auto rows = co_await store_.before(request.chat, request.before, request.limit + 1);
  if (rows.status != store::store_status::ok) co_return store_error(rows.status, "history", rows.error, request.ref);
  // History ends where the member joined (history_from_join): dropping the older rows also
  // answers has_more=false, since every message older than those is before the join too.
  std::erase_if(rows.messages, [&](auto const& m) { return m.seq <= start.joined_seq; });
  bool const has_more = rows.messages.size() > request.limit;
  if (has_more) rows.messages.erase(rows.messages.begin());
  auto const view = core::sender_view(markers.members, user, markers.last_seq, markers.is_group);
  co_return protocol::history_frame({request.chat, request.before, has_more, request.ref}, rows.messages, user, view);
}

awaitable<store::member_start>
messaging::history_start(std::int64_t chat, std::int64_t user)
{
  // Off (the default): every member sees the whole chat, and no query is spent on it.
  if (!settings_.history_from_join) co_return store::member_start{store::store_status::ok, 0, {}};
  co_return co_await store_.joined_seq(chat, user);
}

}  // namespace tandem::service
