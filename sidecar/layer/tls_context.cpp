// TLS settings of a Redis endpoint. TLS 1.2 is the floor (Redis' own default).
#include "layer/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace tandem::layer {

namespace {

void
require(bool ok, std::string const& option, std::string const& path, boost::system::error_code const& ec)
{
  if (ok) return;
  throw std::invalid_argument{option + " '" + path + "' cannot be used: " + ec.message()};
}

}  // namespace

std::shared_ptr<asio::ssl::context>
make_tls_context(tls_options const& options)
{
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (!options.ca_file.empty()) {
    context->load_verify_file(options.ca_file, ec);
    require(!ec, "ssl_ca_certs", options.ca_file, ec);
  }
  if (!options.ca_path.empty()) {
    context->add_verify_path(options.ca_path, ec);
    require(!ec, "ssl_ca_path", options.ca_path, ec);
  }
  if (options.ca_file.empty() && options.ca_path.empty()) {
    context->set_default_verify_paths(ec);  // the system store, as Python's ssl does
    require(!ec, "the system certificate store", "", ec);
  }
  if (!options.cert_file.empty()) {
    context->use_certificate_chain_file(options.cert_file, ec);
    require(!ec, "ssl_certfile", options.cert_file, ec);
    auto const& key = options.key_file.empty() ? options.cert_file : options.key_file;
    context->use_private_key_file(key, asio::ssl::context::pem, ec);
    require(!ec, "ssl_keyfile", key, ec);
  } else if (!options.key_file.empty()) {
    throw std::invalid_argument{"ssl_keyfile is set without ssl_certfile"};
  }
  // CERT_OPTIONAL means, for a client, what CERT_REQUIRED means: the server always sends one.
  context->set_verify_mode(options.cert_reqs == tls_options::verify::none ? asio::ssl::verify_none
                                                                         : asio::ssl::verify_peer);
  return context;
}

std::string
certificate_problem(SSL const* ssl)
{
  if (ssl == nullptr) return {};
  auto const result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return {};
  return X509_verify_cert_error_string(result);
}

}  // namespace tandem::layer
