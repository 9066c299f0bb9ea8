// libFuzzer target: a browser's text message through everything the sidecar does with it before
// any I/O: JSON/UTF-8 parsing, the messaging request decoder, field rules and the error frame.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/frame_rules.hpp"
#include "protocol/chat_requests.hpp"
#include "protocol/client_frames.hpp"

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
  using namespace tandem;
  std::string_view const text{reinterpret_cast<char const*>(data), size};
  core::frame_limits const limits;
  protocol::history_limits const pages;

  auto const parsed = protocol::parse_client_frame(text);
  if (!parsed.frame) {
    (void)protocol::error_frame(parsed.error, parsed.detail, parsed.ref);
  } else if (protocol::is_chat_request_type(parsed.frame->type)) {
    // Both socket kinds: a chat socket (chat may be left out) and the notifications socket.
    for (auto socket_chat : {std::optional<std::int64_t>{42}, std::optional<std::int64_t>{}}) {
      auto const request = protocol::parse_chat_request(parsed.frame->body, socket_chat, limits, pages);
      if (!request.request) (void)protocol::error_frame(request.error.code, request.error.field, parsed.frame->ref);
    }
  }
  // The field rules also see raw bytes (bodies and client ids come from decoded JSON strings).
  (void)core::validate_body(text, limits);
  (void)core::validate_client_id(text, limits);
  return 0;
}
