// Channel and group names as Channels validates them, and the Redis keys channels_redis derives
// from them (no separator between the prefix and a channel name, ":group:" before a group).
#pragma once

#include <string>
#include <string_view>

namespace tandem::layer {

/// `^[a-zA-Z\d\-_.]+(\![\d\w\-_.]*)?$` and shorter than 100 characters. Deliberately ASCII
/// only: Python's `\w`/`\d` also accept non-ASCII letters and digits after the `!`, and its `$`
/// accepts one trailing "\n"; Tandem never creates such names and rejects them.
bool valid_channel_name(std::string_view name) noexcept;

/// `^[a-zA-Z\d\-_.]+$` and shorter than 100 characters.
bool valid_group_name(std::string_view name) noexcept;

/// Everything up to and including the first `!` (the process queue), else the whole name.
std::string_view non_local_name(std::string_view channel) noexcept;

/// Whether the channel is process-specific (contains `!`).
bool is_specific(std::string_view channel) noexcept;

/// The sorted set holding the channel's messages: prefix + non_local_name(channel).
std::string channel_key(std::string_view prefix, std::string_view channel);

/// The sorted set holding the group's members: prefix + ":group:" + group.
std::string group_key(std::string_view prefix, std::string_view group);

/// `kind + "." + client_prefix + "!" + local_hex`, as RedisChannelLayer.new_channel builds it.
std::string new_channel_name(std::string_view client_prefix, std::string_view local_hex,
                             std::string_view kind = "specific");

}  // namespace tandem::layer
