// Key order is fixed here (ordered_json) so frames are byte-identical across runs and languages.
#include "protocol/chat_frames.hpp"

#include "core/tick.hpp"

namespace tandem::protocol {

namespace {

std::string
dump(ordered_json const& value)
{
  return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

ordered_json
receipts_object(core::receipt_marker const& marker)
{
  return {{"delivered_upto", marker.delivered_upto}, {"read_upto", marker.read_upto}};
}

ordered_json
message_list(std::span<message_record const> messages, std::int64_t viewer, core::receipt_marker const& marker)
{
  ordered_json list = ordered_json::array();
  for (auto const& m : messages) list.push_back(message_object(m, viewer, &marker));
  return list;
}

}  // namespace

std::string_view
receipt_kind_name(core::receipt_kind kind) noexcept
{
  return kind == core::receipt_kind::read ? "read" : "delivered";
}

ordered_json
message_object(message_record const& m, std::optional<std::int64_t> viewer, core::receipt_marker const* viewer_marker)
{
  ordered_json out = {{"id", m.id},       {"chat", m.chat}, {"seq", m.seq},
                      {"sender", m.sender}, {"client_id", m.client_id}, {"body", m.body},
                      {"created_at", m.created_at}};
  if (viewer && viewer_marker && m.sender == *viewer)
    out["status"] = core::tick_name(core::tick_for(*viewer_marker, m.seq));
  return out;
}

std::string
ack_frame(message_record const& m, bool duplicate)
{
  ordered_json frame = {{"type", "ack"},   {"client_id", m.client_id}, {"chat", m.chat},
                        {"id", m.id},      {"seq", m.seq},             {"created_at", m.created_at},
                        {"status", "sent"}, {"duplicate", duplicate}};
  return dump(frame);
}

ordered_json
chat_message_event(message_record const& m)
{
  ordered_json event = {{"type", "chat.message"}};
  auto const fields = message_object(m);  // named: a range-for over a temporary's items() dangles
  for (auto const& [key, value] : fields.items()) event[key] = value;
  return event;
}

ordered_json
chat_publish_lost_event(std::int64_t chat)
{
  return {{"type", "tandem.frame"},
          {"chat", chat},
          {"frame", {{"type", "resync"}, {"reason", "publish_lost"}, {"chat", chat}}}};
}

ordered_json
chat_status_event(std::int64_t chat, core::receipt_kind kind, core::seq_t upto, core::unix_ms at)
{
  return {{"type", "chat.status"}, {"chat", chat}, {"status", receipt_kind_name(kind)}, {"upto", upto}, {"at", at}};
}

ordered_json
chat_receipt_event(std::int64_t chat, std::int64_t user, core::receipt_kind kind, core::seq_t upto, core::unix_ms at)
{
  return {{"type", "chat.receipt"}, {"chat", chat}, {"user", user}, {"kind", receipt_kind_name(kind)},
          {"upto", upto},           {"at", at}};
}

std::string
sync_frame(sync_page const& page, std::span<message_record const> messages, std::int64_t viewer,
           core::receipt_marker const& viewer_marker)
{
  ordered_json frame = {{"type", "sync"},
                        {"chat", page.chat},
                        {"after", page.after},
                        {"last_seq", page.last_seq},
                        {"more", page.more},
                        {"reload", page.reload},
                        {"receipts", receipts_object(viewer_marker)},
                        {"messages", message_list(messages, viewer, viewer_marker)}};
  if (page.ref) frame["ref"] = *page.ref;
  return dump(frame);
}

std::string
history_frame(history_page const& page, std::span<message_record const> messages, std::int64_t viewer,
              core::receipt_marker const& viewer_marker)
{
  ordered_json frame = {{"type", "history"},
                        {"chat", page.chat},
                        {"before", page.before ? ordered_json(*page.before) : ordered_json(nullptr)},
                        {"has_more", page.has_more},
                        {"receipts", receipts_object(viewer_marker)},
                        {"messages", message_list(messages, viewer, viewer_marker)}};
  if (page.ref) frame["ref"] = *page.ref;
  return dump(frame);
}

}  // namespace tandem::protocol
