#include "http/tls_context.hpp"

#include <openssl/ssl.h>

namespace nq::metrics::serving {

std::optional<ssl::context> make_tls_context(const TlsServerConfig& config, std::string& error) {
  ssl::context context(ssl::context::tls_server);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  SSL_CTX* native = context.native_handle();
  // Idle connections (a handshake not begun, keep-alive) hold no record buffers.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_min_proto_version(native, config.min_version);
  if (config.max_version != 0) SSL_CTX_set_max_proto_version(native, config.max_version);
  beast::error_code ec;
  context.use_certificate_chain_file(config.cert_file, ec);
  if (ec) {
    error = "TLS certificate " + config.cert_file + ": " + ec.message();
    return std::nullopt;
  }
  context.use_private_key_file(config.key_file, ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(native) != 1) {
    error = "TLS key " + config.key_file + " cannot be used with the certificate " +
            config.cert_file + ": " + (ec ? ec.message() : "key values mismatch");
    return std::nullopt;
  }
  switch (config.client_auth) {
    case ClientAuth::no_client_cert:
      context.set_verify_mode(ssl::verify_none);
      break;
    case ClientAuth::request_client_cert:
    case ClientAuth::require_any_client_cert:
      // Asked for (or required) but not verified.
      context.set_verify_mode(config.client_auth == ClientAuth::require_any_client_cert
                                  ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                  : ssl::verify_peer);
      context.set_verify_callback([](bool, ssl::verify_context&) { return true; });
      break;
    case ClientAuth::verify_client_cert_if_given:
    case ClientAuth::require_and_verify_client_cert:
      context.load_verify_file(config.client_ca_file, ec);
      if (ec) {
        error = "TLS client CA " + config.client_ca_file + ": " + ec.message();
        return std::nullopt;
      }
      SSL_CTX_set_client_CA_list(native, SSL_load_client_CA_file(config.client_ca_file.c_str()));
      context.set_verify_mode(config.client_auth == ClientAuth::require_and_verify_client_cert
                                  ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                  : ssl::verify_peer);
      break;
  }
  return context;
}

}  // namespace nq::metrics::serving
