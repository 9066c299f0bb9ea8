// Name checks as plain loops over ASCII classes: clearer than std::regex and allocation-free.
#include "layer/names.hpp"

namespace tandem::layer {

namespace {

constexpr std::size_t max_name_length = 100;  // Channels' MAX_NAME_LENGTH; names must be shorter

constexpr bool
is_name_char(char c) noexcept
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

// [a-zA-Z\d\-_.]+ : one or more name characters and nothing else.
bool
is_plain_name(std::string_view text) noexcept
{
  if (text.empty()) return false;
  for (char const c : text) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

}  // namespace

bool
valid_channel_name(std::string_view name) noexcept
{
  if (name.size() >= max_name_length) return false;
  auto const bang = name.find('!');
  if (bang == std::string_view::npos) return is_plain_name(name);
  // The local part ([\d\w\-_.]*) may be empty; in ASCII it is the same class as the head.
  auto const local = name.substr(bang + 1);
  return is_plain_name(name.substr(0, bang)) && (local.empty() || is_plain_name(local));
}

bool
valid_group_name(std::string_view name) noexcept
{
  return name.size() < max_name_length && is_plain_name(name);
}

std::string_view
non_local_name(std::string_view channel) noexcept
{
  auto const bang = channel.find('!');
  return bang == std::string_view::npos ? channel : channel.substr(0, bang + 1);
}

bool
is_specific(std::string_view channel) noexcept
{
  return channel.find('!') != std::string_view::npos;
}

std::string
channel_key(std::string_view prefix, std::string_view channel)
{
  std::string key{prefix};
  key += non_local_name(channel);
  return key;
}

std::string
group_key(std::string_view prefix, std::string_view group)
{
  std::string key{prefix};
  key += ":group:";
  key += group;
  return key;
}

std::string
new_channel_name(std::string_view client_prefix, std::string_view local_hex, std::string_view kind)
{
  std::string name{kind};
  name += '.';
  name += client_prefix;
  name += '!';
  name += local_hex;
  return name;
}

}  // namespace tandem::layer
