// What one socket shows of typing: per chat, who is typing (never the socket's own user), each
// until they stop or their start expires. Changes are batched into one frame per chat listing
// every typist, so a storm of keystrokes stays a few frames per second.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/time.hpp"

namespace tandem::protocol {

/// A chat.typing event: "user (name) started/stopped typing in chat, valid until expires_at".
struct typing_event {
  std::int64_t chat = 0;
  std::int64_t user = 0;
  std::string name;
  bool typing = false;
  core::unix_ms expires_at = 0;
  /// Order of the typist's notices (increasing per sidecar worker): events can overtake each
  /// other on the channel layer, and a start that arrives after its stop must not win.
  std::int64_t order = 0;
};

nlohmann::ordered_json typing_event_json(typing_event const& event);
std::optional<typing_event> typing_event_from_json(nlohmann::ordered_json const& event);

class typing_view {
 public:
  /// True when the chat's typists changed.
  bool apply(typing_event const& event);
  /// A message from `user` in `chat` ends their typing there.
  bool forget(std::int64_t chat, std::int64_t user);
  /// Drops typists whose start expired; the chats that changed.
  std::vector<std::int64_t> expire(core::unix_ms now);
  std::optional<core::unix_ms> next_expiry() const;
  /// {"type":"typing","chat","users":[{"user","name"}],"text":"Ann is typing…"} (users by id).
  std::string frame(std::int64_t chat) const;

 private:
  struct typist {
    std::string name;
    core::unix_ms expires_at = 0;
  };
  std::map<std::int64_t, std::map<std::int64_t, typist>> chats_;
  /// The latest notice seen per (chat, user), stops included, until it could expire.
  struct latest {
    std::int64_t order = 0;
    core::unix_ms keep_until = 0;
  };
  std::map<std::pair<std::int64_t, std::int64_t>, latest> latest_;
};

}  // namespace tandem::protocol
