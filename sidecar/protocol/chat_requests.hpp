// The messaging frames a client sends (send, delivered, read, sync, history, typing; docs/protocol.md),
// decoded into typed requests or the typed error naming the bad field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/frame_rules.hpp"
#include "core/receipt_marker.hpp"

namespace tandem::protocol {

struct send_request {
  std::int64_t chat = 0;
  std::string client_id;
  std::string body;
};

struct receipt_request {
  std::int64_t chat = 0;
  core::receipt_kind kind = core::receipt_kind::delivered;
  core::seq_t upto = 0;
  std::optional<std::string> ref;  // echoed by an error answering it
};

struct sync_request {
  std::int64_t chat = 0;
  core::seq_t after = 0;  // the last seq the client holds; 0 = none
  std::optional<std::string> ref;  // echoed by every page and error answering it
};

struct history_request {
  std::int64_t chat = 0;
  std::optional<core::seq_t> before;  // none: the newest page
  std::size_t limit = 0;
  std::optional<std::string> ref;  // echoed by the page or error answering it
};

struct typing_request {
  std::int64_t chat = 0;
  bool start = true;  // "start" (a keystroke) or "stop"
};

using chat_request = std::variant<send_request, receipt_request, sync_request, history_request, typing_request>;

struct history_limits {
  std::size_t first_page = 50;  // on open: the newest messages
  std::size_t next_page = 20;   // each scroll up
  std::size_t max_page = 100;   // the most a client may ask for at once
};

struct request_parse {
  std::optional<chat_request> request;
  core::field_error error{core::error_code::bad_frame, {}};  // meaningful when request is empty
};

/// True for the frame types this decoder owns (the rest go to the bridge).
bool is_chat_request_type(std::string_view type) noexcept;

/// Decodes `frame` (an object with one of those types). `socket_chat` is the chat of a
/// /ws/chat/<id>/ socket: there `chat` may be left out, and naming another chat is refused.
request_parse parse_chat_request(nlohmann::json const& frame, std::optional<std::int64_t> socket_chat,
                                 core::frame_limits const& limits, history_limits const& pages);

}  // namespace tandem::protocol
