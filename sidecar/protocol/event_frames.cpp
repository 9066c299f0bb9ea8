// The event → frame table. Anything not in it is dropped with a reason, never sent half-made.
#include "protocol/event_frames.hpp"

namespace tandem::protocol {

namespace {

using json = nlohmann::ordered_json;

event_action
drop(std::string why)
{
  return {event_action::kind::drop, std::move(why), 0};
}

event_action
send(json const& frame)
{
  // Invalid UTF-8 in a string is replaced rather than thrown over: the frame still goes out.
  return {event_action::kind::send_text, frame.dump(-1, ' ', false, json::error_handler_t::replace), 0};
}

bool
has_binary(json const& value)
{
  if (value.is_binary()) return true;
  if (value.is_structured())
    for (auto const& item : value)
      if (has_binary(item)) return true;
  return false;
}

/// The event's own fields under a new frame type (chat.message → message, ...).
event_action
renamed(json const& event, std::string_view frame_type)
{
  json frame = json::object();
  frame["type"] = frame_type;
  for (auto const& [key, value] : event.items())
    if (key != "type") frame[key] = value;
  return send(frame);
}

/// A session fingerprint (auth::session_fingerprint): 64 lower-case hex digits.
bool
is_fingerprint(json const& value)
{
  if (!value.is_string()) return false;
  auto const& text = value.get_ref<std::string const&>();
  if (text.size() != 64) return false;
  for (char const c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

event_action
event_to_action(json const& event)
{
  if (!event.is_object()) return drop("event is not an object");
  auto const type_it = event.find("type");
  if (type_it == event.end() || !type_it->is_string()) return drop("event has no string type");
  if (has_binary(event)) return drop("event carries bytes, which have no JSON form");
  auto const type = type_it->get<std::string>();

  if (type == "tandem.frame") {
    auto const frame = event.find("frame");
    if (frame == event.end() || !frame->is_object() || !frame->contains("type") || !(*frame)["type"].is_string())
      return drop("tandem.frame needs a frame object with a string type");
    return send(*frame);
  }
  if (type == "websocket.send") {
    auto const text = event.find("text");
    if (text == event.end() || !text->is_string()) return drop("websocket.send needs a text string");
    return {event_action::kind::send_text, text->get<std::string>(), 0};
  }
  if (type == "chat.message") {
    auto action = renamed(event, "message");
    auto const chat = event.find("chat"), seq = event.find("seq"), sender = event.find("sender");
    // Django code may send its own chat.message events; only stored messages carry these.
    if (chat != event.end() && seq != event.end() && sender != event.end() && chat->is_number_integer() &&
        seq->is_number_integer() && sender->is_number_integer()) {
      action.what = event_action::kind::chat_message;
      action.chat = chat->get<std::int64_t>();
      action.seq = seq->get<std::int64_t>();
      action.sender = sender->get<std::int64_t>();
    }
    return action;
  }
  if (type == "chat.typing") return {event_action::kind::typing, {}, 0};
  if (type == "presence.update" || type == "presence.members") return {event_action::kind::presence, {}, 0};
  if (type == "chat.status") return renamed(event, "status");
  if (type == "chat.receipt") return renamed(event, "receipt");
  if (type == "notification") return renamed(event, "notification");
  if (type == "tandem.membership") {
    auto const chat = event.find("chat"), member = event.find("member");
    if (chat == event.end() || !chat->is_number_integer() || chat->get<std::int64_t>() <= 0 || member == event.end() ||
        !member->is_boolean())
      return drop("tandem.membership needs a positive integer chat and a boolean member");
    event_action action{event_action::kind::membership, {}, 0};
    action.chat = chat->get<std::int64_t>();
    action.member = member->get<bool>();
    return action;
  }
  if (type == "tandem.privacy") {
    auto const setting = event.find("presence_visibility");
    auto const parsed = setting != event.end() && setting->is_string()
                            ? core::visibility_from_name(setting->get<std::string>())
                            : std::nullopt;
    if (!parsed) return drop("tandem.privacy needs presence_visibility: everyone, contacts or nobody");
    event_action action{event_action::kind::privacy, {}, 0};
    action.visibility = *parsed;
    return action;
  }
  if (type == "tandem.disconnect") {
    auto const code = event.find("code");
    std::uint16_t close_code = default_disconnect_code;
    if (code != event.end() && code->is_number_integer()) {
      auto const value = code->get<std::int64_t>();
      // Only codes an application may send: 1000 or the private range 4000-4999.
      if (value == 1000 || (value >= 4000 && value <= 4999)) close_code = static_cast<std::uint16_t>(value);
    }
    // With "session": only the sockets of that session (a logout). One it cannot read closes
    // nothing: an event meant for one session must never close every socket of the group.
    std::string session;
    if (auto const named = event.find("session"); named != event.end()) {
      if (!is_fingerprint(*named)) return drop("tandem.disconnect's session must be 64 lower-case hex digits");
      session = named->get<std::string>();
    }
    return {event_action::kind::close, std::move(session), close_code};
  }
  return drop("unknown event type " + type);
}

}  // namespace tandem::protocol
