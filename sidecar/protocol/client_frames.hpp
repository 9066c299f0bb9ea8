// Frames from the browser: parsing a text message into a typed frame (or the error to answer),
// and the server frames every endpoint shares (error, hello, pong).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/json_nesting.hpp"

namespace tandem::protocol {

struct client_frame {
  std::string type;
  nlohmann::json body;             // the whole frame object
  std::optional<std::string> ref;  // client_id or ref, echoed in replies and errors
};

struct frame_parse {
  std::optional<client_frame> frame;
  core::error_code error = core::error_code::bad_frame;  // meaningful when frame is empty
  std::string detail;
  std::optional<std::string> ref;
};

/// A text message → a frame: valid UTF-8 JSON object with a non-empty string `type`, nesting
/// at most `max_depth` arrays/objects (checked before parsing, so depth never reaches a parser).
frame_parse parse_client_frame(std::string_view text, std::size_t max_depth = core::default_max_frame_depth);

/// What answers to `frame` echo: its `client_id`, else its `ref` (a string, or an integer as
/// its decimal text); nullopt when it has neither.
std::optional<std::string> frame_ref(nlohmann::json const& frame);

/// {"type":"error","code":...,"number":...,"message":...,["retry_after"],["ref"]}.
/// `detail` (e.g. which field) is appended to the core's message when not empty.
std::string error_frame(core::error_code code, std::string_view detail = {},
                        std::optional<std::string> const& ref = std::nullopt,
                        std::optional<double> retry_after_s = std::nullopt);

struct hello_fields {
  std::int64_t user_id = 0;
  std::optional<std::int64_t> chat_id;
  std::string connection;
  double heartbeat_s = 30;
};

std::string hello_frame(hello_fields const& hello);

std::string pong_frame(std::optional<std::string> const& ref);

/// {"type":"resync","reason":...[,"chat":C]}: live delivery to this socket may have missed
/// messages (the channel layer was unreachable for a while, or the socket joined chat C's group
/// only now); the client answers with a `sync` per open chat, or of chat C alone.
std::string resync_frame(std::string_view reason, std::optional<std::int64_t> chat = std::nullopt);

/// {"type":"membership","chat":C,"member":bool}: the socket's user left chat C (removed, or left
/// themselves) or became a member; a client showing chat C stops (or starts again) offering to
/// send to it.
std::string membership_frame(std::int64_t chat, bool member);

}  // namespace tandem::protocol
