// Turns (online, last_seen, now, viewer's UTC offset) into the words a messenger shows.
#include "core/last_seen_text.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace tandem::core {

namespace {

struct local_moment {
  std::int64_t day;  // days since the epoch, in the viewer's time zone
  int hour;
  int minute;
};

local_moment
to_local(unix_ms at, int utc_offset_minutes)
{
  unix_ms const local = at + static_cast<unix_ms>(utc_offset_minutes) * ms_per_minute;
  // Floor division: times before the epoch still land on the right day.
  std::int64_t day = local / ms_per_day;
  unix_ms in_day = local % ms_per_day;
  if (in_day < 0) {
    in_day += ms_per_day;
    --day;
  }
  return {day, static_cast<int>(in_day / ms_per_hour), static_cast<int>(in_day % ms_per_hour / ms_per_minute)};
}

std::string
clock_text(local_moment const& m)
{
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "%02d:%02d", m.hour, m.minute);
  return buf.data();
}

std::string
date_text(std::int64_t day)
{
  static constexpr std::array<char const*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::chrono::year_month_day const ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return std::to_string(static_cast<unsigned>(ymd.day())) + " " +
         months[static_cast<unsigned>(ymd.month()) - 1] + " " + std::to_string(static_cast<int>(ymd.year()));
}

}  // namespace

std::string
last_seen_text(bool online, std::optional<unix_ms> last_seen, unix_ms now, int utc_offset_minutes)
{
  if (online) return "Online";
  if (!last_seen) return "Offline";
  unix_ms const ago = now - *last_seen;
  if (ago < ms_per_minute) return "last seen just now";
  if (ago < ms_per_hour) {
    auto const minutes = ago / ms_per_minute;
    return "last seen " + std::to_string(minutes) + (minutes == 1 ? " minute ago" : " minutes ago");
  }
  local_moment const seen = to_local(*last_seen, utc_offset_minutes);
  local_moment const today = to_local(now, utc_offset_minutes);
  if (seen.day == today.day) return "last seen today at " + clock_text(seen);
  if (seen.day == today.day - 1) return "last seen yesterday at " + clock_text(seen);
  return "last seen on " + date_text(seen.day);
}

}  // namespace tandem::core
