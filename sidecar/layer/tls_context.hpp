// The OpenSSL context of a rediss:// endpoint, built from redis-py's ssl_* options: whom to
// trust (a CA file or directory, else the system store), whether to verify, and the client
// certificate for servers that require one (tls-auth-clients).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>

#include "asio/asio.hpp"
#include "layer/redis_endpoint.hpp"

namespace tandem::layer {

/// Throws std::invalid_argument naming the option when a file cannot be used, so a typo in a
/// path stops start-up instead of failing every connection later.
std::shared_ptr<asio::ssl::context> make_tls_context(tls_options const& options);

/// What OpenSSL said about the peer's certificate after a failed handshake ("unable to get
/// local issuer certificate", "certificate has expired", "hostname mismatch"), or "" if the
/// failure was not about the certificate.
std::string certificate_problem(SSL const* ssl);

}  // namespace tandem::layer
