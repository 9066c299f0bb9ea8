#include "auth/session_fingerprint.hpp"

#include "crypto/digest.hpp"

namespace tandem::auth {

std::string
session_fingerprint(std::string_view session_cookie)
{
  return crypto::to_hex(crypto::sha256(session_cookie));
}

bool
same_session(std::string_view fingerprint, std::string_view session_cookie)
{
  return crypto::constant_time_equal(fingerprint, session_fingerprint(session_cookie));
}

}  // namespace tandem::auth
