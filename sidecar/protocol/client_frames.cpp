// Client frame parsing never throws: nlohmann's non-throwing parse plus explicit type checks.
#include "protocol/client_frames.hpp"

#include "core/utf8.hpp"

namespace tandem::protocol {

namespace {

using json = nlohmann::json;

}  // namespace

std::optional<std::string>
frame_ref(json const& frame)
{
  for (char const* key : {"client_id", "ref"}) {
    auto const it = frame.find(key);
    if (it == frame.end()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return it->dump();
  }
  return std::nullopt;
}

namespace {

std::string
dump(json const& value)
{
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

frame_parse
parse_client_frame(std::string_view text, std::size_t max_depth)
{
  frame_parse out;
  if (!core::utf8_code_points(text)) {
    out.detail = "the frame is not valid UTF-8";
    return out;
  }
  if (core::json_nests_deeper_than(text, max_depth)) {
    out.detail = "the frame nests deeper than " + std::to_string(max_depth) + " levels";
    return out;
  }
  auto body = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    out.detail = "the frame is not a JSON object";
    return out;
  }
  out.ref = frame_ref(body);
  auto const type = body.find("type");
  if (type == body.end()) {
    out.error = core::error_code::missing_field;
    out.detail = "type";
    return out;
  }
  if (!type->is_string() || type->get_ref<std::string const&>().empty()) {
    out.error = core::error_code::invalid_field;
    out.detail = "type";
    return out;
  }
  out.frame = client_frame{type->get<std::string>(), std::move(body), out.ref};
  return out;
}

std::string
error_frame(core::error_code code, std::string_view detail, std::optional<std::string> const& ref,
            std::optional<double> retry_after_s)
{
  std::string message{core::error_message(code)};
  if (!detail.empty()) message.append(" (").append(detail).append(")");
  json frame = {{"type", "error"},
                {"code", core::error_name(code)},
                {"number", static_cast<int>(code)},
                {"message", message}};
  if (retry_after_s && core::is_retryable(code)) frame["retry_after"] = *retry_after_s;
  if (ref) frame["ref"] = *ref;
  return dump(frame);
}

std::string
hello_frame(hello_fields const& hello)
{
  json frame = {{"type", "hello"},
                {"v", 1},
                {"user_id", hello.user_id},
                {"chat_id", nullptr},
                {"connection", hello.connection},
                {"heartbeat", hello.heartbeat_s}};
  if (hello.chat_id) frame["chat_id"] = *hello.chat_id;
  return dump(frame);
}

std::string
pong_frame(std::optional<std::string> const& ref)
{
  json frame = {{"type", "pong"}};
  if (ref) frame["ref"] = *ref;
  return dump(frame);
}

std::string
resync_frame(std::string_view reason, std::optional<std::int64_t> chat)
{
  json frame = {{"type", "resync"}, {"reason", reason}};
  if (chat) frame["chat"] = *chat;
  return dump(frame);
}

std::string
membership_frame(std::int64_t chat, bool member)
{
  return dump(json{{"type", "membership"}, {"chat", chat}, {"member", member}});
}

}  // namespace tandem::protocol
