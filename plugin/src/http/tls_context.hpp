// The OpenSSL context of a tls_server_config (web_config.hpp) and what its
// handshakes check beyond OpenSSL: a client certificate's SANs against
// client_allowed_sans.
//
// Ownership: a ServerTls owns its context; the context's certificate
// verification callback points back at it, so it never moves (made behind
// a unique_ptr) and outlives every connection that uses it (the web config
// snapshot that owns it is held by each of them).
// Thread-safety: immutable after make(); OpenSSL contexts are used by many
// connections at once (each SSL_new() takes a reference).
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <vector>

#include "http/web_config.hpp"

namespace nq::metrics::serving {

class ServerTls {
 public:
  // The TLS context of a tls_server_config; nullptr with a message naming
  // the file (or the inline key) on failure.
  static std::unique_ptr<ServerTls> make(const TlsServerConfig& config, std::string& error);

  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  // Non-const: a connection's SSL_new() takes a reference to the context.
  boost::asio::ssl::context& context() const noexcept { return context_; }

 private:
  explicit ServerTls(const TlsServerConfig& config);
  bool load(const TlsServerConfig& config, std::string& error);
  static int check_client_certificate(X509_STORE_CTX* store, void* self);

  mutable boost::asio::ssl::context context_;
  const bool verifies_;                          // against a CA (the client CA or system roots)
  const std::vector<std::string> allowed_sans_;  // empty: any
};

}  // namespace nq::metrics::serving
