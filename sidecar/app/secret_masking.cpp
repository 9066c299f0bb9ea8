// libpq's own PQconninfoParse reads the string exactly as a connection would, quotes and
// escapes included; the masked text is rebuilt from its options.
#include "app/secret_masking.hpp"

#include <libpq-fe.h>

#include <cctype>
#include <memory>
#include <string>

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

/// Redis URLs (redis-py and the sidecar) read "scheme://secret@host" as a password; other
/// schemes (postgresql://) read it as a user name.
bool
lone_value_is_password(std::string_view scheme)
{
  return scheme.starts_with("redis") || scheme.starts_with("unix");
}

/// Lower-cased, percent-escapes decoded: how a parser might read a query key.
std::string
normalized_key(std::string_view key)
{
  std::string out;
  for (std::size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c == '%' && i + 2 < key.size() && std::isxdigit(static_cast<unsigned char>(key[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(key[i + 2]))) {
      c = static_cast<char>(std::stoi(std::string{key.substr(i + 1, 2)}, nullptr, 16));
      i += 2;
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

/// The query with the value of every key naming a password (password, sslpassword,
/// sentinel_password, ...) as ***; every other byte kept as written.
std::string
mask_query(std::string_view query)
{
  std::string out;
  while (true) {
    auto const amp = query.find('&');
    std::string_view const pair = query.substr(0, amp);
    auto const eq = pair.find('=');
    if (eq != std::string_view::npos && normalized_key(pair.substr(0, eq)).find("password") != std::string::npos)
      out.append(pair.substr(0, eq + 1)).append("***");
    else
      out.append(pair);
    if (amp == std::string_view::npos) break;
    out.push_back('&');
    query = query.substr(amp + 1);
  }
  return out;
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
  if (scheme_end == std::string_view::npos) return std::string{url};
  // Split where the sidecar's parser (and urllib) split: the query starts at the first '?', and
  // the user part ends at the last '@' before it, so a '@' inside a query value stays there.
  auto const question = url.find('?', scheme_end + 3);
  std::string_view const base = url.substr(0, question);
  std::string out{base};
  auto const user_start = scheme_end + 3;
  if (auto const at = base.rfind('@'); at != std::string_view::npos && at >= user_start) {
    std::string_view const user_info = base.substr(user_start, at - user_start);
    auto const colon = user_info.find(':');
    if (colon != std::string_view::npos)
      out = std::string{base.substr(0, user_start + colon + 1)} + "***" + std::string{base.substr(at)};
    else if (lone_value_is_password(url.substr(0, scheme_end)))
      out = std::string{base.substr(0, user_start)} + "***" + std::string{base.substr(at)};
  }
  if (question != std::string_view::npos) out += '?' + mask_query(url.substr(question + 1));
  return out;
}

}  // namespace tandem::app
