// parse_cookie: split on ';', then on the first '=', strip spaces, unquote "..." values.
#include "auth/cookie_header.hpp"

namespace tandem::auth {

namespace {

std::string_view
strip(std::string_view s)
{
  auto const first = s.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n\f\v") - first + 1);
}

bool
is_octal(char c)
{
  return c >= '0' && c <= '7';
}

// http.cookies._unquote: a "..." value loses its quotes; \ooo is an octal byte, \c is c.
std::string
unquote(std::string_view v)
{
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string{v};
  v = v.substr(1, v.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\' || i + 1 >= v.size()) {
      out.push_back(v[i]);
      continue;
    }
    if (i + 3 < v.size() && is_octal(v[i + 1]) && is_octal(v[i + 2]) && is_octal(v[i + 3])) {
      out.push_back(static_cast<char>((v[i + 1] - '0') * 64 + (v[i + 2] - '0') * 8 + (v[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(v[i + 1]);
      ++i;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string>
cookie_value(std::string_view header, std::string_view name)
{
  std::optional<std::string> found;
  while (!header.empty()) {
    auto const semi = header.find(';');
    std::string_view const chunk = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto const eq = chunk.find('=');
    // A chunk without '=' is a value with an empty name (Django keeps it under "").
    std::string_view const key = eq == std::string_view::npos ? std::string_view{} : strip(chunk.substr(0, eq));
    std::string_view const value = strip(eq == std::string_view::npos ? chunk : chunk.substr(eq + 1));
    if ((!key.empty() || !value.empty()) && key == name) found = unquote(value);
  }
  return found;
}

}  // namespace tandem::auth
