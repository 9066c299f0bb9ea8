// libpq's own PQconninfoParse reads the string exactly as a connection would, quotes and
// escapes included; the masked text is rebuilt from its options.
#include "app/secret_masking.hpp"

#include <libpq-fe.h>

#include <memory>

namespace tandem::app {

namespace {

/// 'value' with \ and ' escaped, as libpq reads quoted values.
std::string
quoted(std::string_view value)
{
  std::string out = "'";
  for (char const c : value) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

}  // namespace

std::string
mask_conninfo(std::string const& conninfo)
{
  if (conninfo.empty()) return {};
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options{PQconninfoParse(conninfo.c_str(), &error),
                                                                        &PQconninfoFree};
  if (error) PQfreemem(error);
  if (!options) return "***";
  std::string out;
  for (auto const* option = options.get(); option->keyword; ++option) {
    if (!option->val) continue;  // only what the string itself sets is listed
    bool const secret = option->dispchar && std::string_view{option->dispchar} == "*";
    if (!out.empty()) out += ' ';
    out += option->keyword;
    out += '=';
    out += secret ? std::string{"***"} : quoted(option->val);
  }
  return out;
}

std::string
mask_url_password(std::string_view url)
{
  auto const scheme_end = url.find("://");
  auto const at = url.rfind('@');
  if (scheme_end == std::string_view::npos || at == std::string_view::npos || at < scheme_end) return std::string{url};
  auto const user_start = scheme_end + 3;
  auto const colon = url.substr(user_start, at - user_start).find(':');
  if (colon == std::string_view::npos) return std::string{url};  // a user name but no password
  std::string out{url.substr(0, user_start + colon + 1)};
  return out.append("***").append(url.substr(at));
}

}  // namespace tandem::app
