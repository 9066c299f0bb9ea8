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

/// A URL with its passwords as ***: the password of the user part (between "://" and the last
/// '@' before the query; for Redis schemes also a lone "secret@", which redis-py and the sidecar
/// read as the password) and the value of every query key naming a password (password=,
/// sslpassword=, sentinel_password=, in any case or percent-encoding), e.g. the
/// "unix:///path?password=..." form Redis sockets use. Every other byte is kept.
std::string mask_url_password(std::string_view url);

}  // namespace tandem::app
