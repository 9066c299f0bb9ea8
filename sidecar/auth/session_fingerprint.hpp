// A session's fingerprint: what Django names, in a `tandem.disconnect` event sent when a user logs
// out, to close the sockets opened with that session and no others, without the session key
// itself travelling through Redis (where a copy could be read and replayed as a cookie).
#pragma once

#include <string>
#include <string_view>

namespace tandem::auth {

/// Lower-case hex SHA-256 of the session cookie's value (tandem.sessions.fingerprint in Django).
std::string session_fingerprint(std::string_view session_cookie);

/// Is `fingerprint` the fingerprint of `session_cookie`? (Compared in constant time.)
bool same_session(std::string_view fingerprint, std::string_view session_cookie);

}  // namespace tandem::auth
