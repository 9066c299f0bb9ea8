// What --print-config shows of settings that hold a password inside them: the libpq string
// and the Redis URLs. Both are parsed, never scanned with patterns, so no quoting trick can
// move part of a password outside the mask.
#pragma once

#include <string>
#include <string_view>

namespace tandem::app {

/// The libpq connection string (keyword/value or URI) as keyword='value' pairs, with every
/// option libpq marks as secret (password, sslpassword) shown as ***; "***" altogether when
/// libpq cannot parse it (then nobody can tell where a password would end).
std::string mask_conninfo(std::string const& conninfo);

/// A URL with the password of its user-info part (between "://" and the last '@') as ***.
std::string mask_url_password(std::string_view url);

}  // namespace tandem::app
