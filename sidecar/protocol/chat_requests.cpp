// Field by field, in the order docs/protocol.md lists them, so the error names the first bad one.
#include "protocol/chat_requests.hpp"

#include <array>
#include <limits>

#include "protocol/client_frames.hpp"

namespace tandem::protocol {

namespace {

using json = nlohmann::json;
using core::error_code;
using core::field_error;

struct int_field {
  std::optional<std::int64_t> value;
  std::optional<field_error> error;
};

/// An integer field (JSON integers only: 3.0 and "3" are refused), absent → nullopt.
int_field
integer(json const& frame, char const* name, error_code invalid)
{
  auto const it = frame.find(name);
  if (it == frame.end() || it->is_null()) return {};
  if (!it->is_number_integer()) return {std::nullopt, field_error{invalid, name}};
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max())
    return {std::nullopt, field_error{invalid, name}};
  return {it->get<std::int64_t>(), std::nullopt};
}

/// The chat a frame is about: its `chat` field, or the socket's own chat when left out.
std::variant<std::int64_t, field_error>
chat_of(json const& frame, std::optional<std::int64_t> socket_chat)
{
  auto const chat = integer(frame, "chat", error_code::chat_id_invalid);
  if (chat.error) return *chat.error;
  if (!chat.value) {
    if (socket_chat) return *socket_chat;
    return field_error{error_code::missing_field, "chat"};
  }
  if (*chat.value <= 0) return field_error{error_code::chat_id_invalid, "chat"};
  // A chat socket was authorised for one chat only; others go through /ws/notifications/.
  if (socket_chat && *chat.value != *socket_chat) return field_error{error_code::forbidden, "chat"};
  return *chat.value;
}

std::variant<std::string, field_error>
string_field(json const& frame, char const* name, error_code invalid)
{
  auto const it = frame.find(name);
  if (it == frame.end() || it->is_null()) return field_error{error_code::missing_field, name};
  if (!it->is_string()) return field_error{invalid, name};
  return it->get<std::string>();
}

request_parse
fail(field_error error)
{
  return {std::nullopt, std::move(error)};
}

request_parse
parse_send(json const& frame, std::int64_t chat, core::frame_limits const& limits)
{
  auto client_id = string_field(frame, "client_id", error_code::client_id_invalid);
  if (auto* e = std::get_if<field_error>(&client_id)) return fail(*e);
  auto body = string_field(frame, "body", error_code::invalid_field);
  if (auto* e = std::get_if<field_error>(&body)) return fail(*e);
  send_request request{chat, std::get<std::string>(std::move(client_id)), std::get<std::string>(std::move(body))};
  if (auto e = core::validate_send({request.chat, request.client_id, request.body}, limits)) return fail(*e);
  return {chat_request{std::move(request)}, {}};
}

request_parse
parse_receipt(json const& frame, std::int64_t chat, core::receipt_kind kind)
{
  auto const upto = integer(frame, "upto", error_code::message_id_invalid);
  if (upto.error) return fail(*upto.error);
  if (!upto.value) return fail({error_code::missing_field, "upto"});
  if (auto e = core::validate_positive_id(*upto.value, "upto", error_code::message_id_invalid)) return fail(*e);
  return {chat_request{receipt_request{chat, kind, *upto.value, frame_ref(frame)}}, {}};
}

request_parse
parse_sync(json const& frame, std::int64_t chat)
{
  auto const after = integer(frame, "after", error_code::message_id_invalid);
  if (after.error) return fail(*after.error);
  if (after.value && *after.value < 0) return fail({error_code::message_id_invalid, "after"});
  return {chat_request{sync_request{chat, after.value.value_or(0), frame_ref(frame)}}, {}};
}

request_parse
parse_history(json const& frame, std::int64_t chat, history_limits const& pages)
{
  auto const before = integer(frame, "before", error_code::message_id_invalid);
  if (before.error) return fail(*before.error);
  if (before.value && *before.value <= 0) return fail({error_code::message_id_invalid, "before"});
  auto const limit = integer(frame, "limit", error_code::invalid_field);
  if (limit.error) return fail(*limit.error);
  std::size_t size = before.value ? pages.next_page : pages.first_page;
  if (limit.value) {
    if (*limit.value <= 0 || static_cast<std::size_t>(*limit.value) > pages.max_page)
      return fail({error_code::invalid_field, "limit"});
    size = static_cast<std::size_t>(*limit.value);
  }
  return {chat_request{history_request{chat, before.value, size, frame_ref(frame)}}, {}};
}

request_parse
parse_typing(json const& frame, std::int64_t chat)
{
  auto state = string_field(frame, "state", error_code::invalid_field);
  if (auto* e = std::get_if<field_error>(&state)) return fail(*e);
  auto const& text = std::get<std::string>(state);
  if (text != "start" && text != "stop") return fail({error_code::invalid_field, "state"});
  return {chat_request{typing_request{chat, text == "start"}}, {}};
}

}  // namespace

bool
is_chat_request_type(std::string_view type) noexcept
{
  static constexpr std::array<std::string_view, 6> types{"send", "delivered", "read", "sync", "history", "typing"};
  for (auto t : types)
    if (t == type) return true;
  return false;
}

request_parse
parse_chat_request(json const& frame, std::optional<std::int64_t> socket_chat, core::frame_limits const& limits,
                   history_limits const& pages)
{
  auto const type = frame.value("type", std::string{});
  auto const chat = chat_of(frame, socket_chat);
  if (auto const* e = std::get_if<field_error>(&chat)) return fail(*e);
  auto const id = std::get<std::int64_t>(chat);
  if (type == "send") return parse_send(frame, id, limits);
  if (type == "delivered") return parse_receipt(frame, id, core::receipt_kind::delivered);
  if (type == "read") return parse_receipt(frame, id, core::receipt_kind::read);
  if (type == "sync") return parse_sync(frame, id);
  if (type == "history") return parse_history(frame, id, pages);
  if (type == "typing") return parse_typing(frame, id);
  return fail({error_code::unknown_type, "type"});
}

}  // namespace tandem::protocol
