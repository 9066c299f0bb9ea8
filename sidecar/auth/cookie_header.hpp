// Reading one cookie out of a Cookie header the way Django's parse_cookie does (so the session
// cookie Tandem sees is the one Django would see).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tandem::auth {

/// The value of cookie `name`, unquoted as Python's http.cookies does; when the name appears
/// more than once the last one wins, as in Django. nullopt when absent.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

}  // namespace tandem::auth
