#include "http/tls_context.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/buffer.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <sstream>

namespace nq::metrics::serving {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;

// How an error message names a PEM source: its file, or the inline key.
std::string name_of(const PemSource& source, const std::string& key) {
  return source.file.empty() ? "tls_server_config." + key : source.file;
}

// The PEM text of a source: inline, or read from its file now.
std::optional<std::string> pem_text(const PemSource& source, const std::string& key,
                                    std::string& error) {
  if (source.file.empty()) return source.text;
  std::ifstream file(source.file);
  std::ostringstream text;
  if (file) text << file.rdbuf();
  if (!file) {
    error = "TLS " + key + " " + source.file + ": cannot be read";
    return std::nullopt;
  }
  return text.str();
}

// Trusts the certificates of `pem` for client certificates and names them
// in the certificate request (the hint of which certificate to send); the
// number of certificates.
int add_client_cas(SSL_CTX* native, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  int count = 0;
  while (X509* cert = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(native), cert);
    sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(cert)));
    X509_free(cert);
    ++count;
  }
  ERR_clear_error();  // the end of the text reads as an error
  BIO_free(bio);
  SSL_CTX_set_client_CA_list(native, names);
  return count;
}

// A SAN as Go's crypto/x509 spells it: DNS names, e-mail addresses and URIs
// as written, IP addresses in their usual text form; empty for other kinds.
std::string san_text(const GENERAL_NAME* name) {
  if (name->type == GEN_DNS || name->type == GEN_EMAIL || name->type == GEN_URI) {
    const ASN1_IA5STRING* text = name->d.ia5;
    return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
            static_cast<size_t>(ASN1_STRING_length(text))};
  }
  if (name->type != GEN_IPADD) return {};
  const unsigned char* bytes = ASN1_STRING_get0_data(name->d.ip);
  const int length = ASN1_STRING_length(name->d.ip);
  constexpr std::array<unsigned char, 12> kV4Mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (length == 16 && std::equal(kV4Mapped.begin(), kV4Mapped.end(), bytes)) {
    return inet_ntop(AF_INET, bytes + 12, text.data(), text.size()) ? text.data() : "";
  }
  if (length != 4 && length != 16) return {};
  const int family = length == 4 ? AF_INET : AF_INET6;
  return inet_ntop(family, bytes, text.data(), text.size()) ? text.data() : "";
}

bool has_allowed_san(X509* cert, const std::vector<std::string>& allowed) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  bool found = false;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names) && !found; ++i) {
    const std::string san = san_text(sk_GENERAL_NAME_value(names, i));
    found = !san.empty() && std::find(allowed.begin(), allowed.end(), san) != allowed.end();
  }
  GENERAL_NAMES_free(names);
  return found;
}

template <typename Range>
std::string joined(const Range& names) {
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ":") + name;
  return list;
}

}  // namespace

ServerTls::ServerTls(const TlsServerConfig& config)
    : context_(ssl::context::tls_server),
      verifies_(config.verifies_client_certs()),
      allowed_sans_(config.client_allowed_sans) {}

std::unique_ptr<ServerTls> ServerTls::make(const TlsServerConfig& config, std::string& error) {
  std::unique_ptr<ServerTls> tls(new ServerTls(config));
  if (!tls->load(config, error)) return nullptr;
  return tls;
}

bool ServerTls::load(const TlsServerConfig& config, std::string& error) {
  context_.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  SSL_CTX* native = context_.native_handle();
  // Idle connections (a handshake not begun, keep-alive) hold no record buffers.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_min_proto_version(native, config.min_version);
  SSL_CTX_set_max_proto_version(native, config.max_version);
  if (config.prefer_server_cipher_suites)
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!config.tls12_ciphers.empty() &&
      SSL_CTX_set_cipher_list(native, joined(config.tls12_ciphers).c_str()) != 1) {
    error = "tls_server_config.cipher_suites: OpenSSL offers none of them";
    return false;
  }
  if (!config.groups.empty() &&
      SSL_CTX_set1_groups_list(native, joined(config.groups).c_str()) != 1) {
    error = "tls_server_config.curve_preferences: OpenSSL offers none of them";
    return false;
  }

  const auto cert = pem_text(config.cert, "certificate", error);
  const auto key = cert ? pem_text(config.key, "key", error) : std::nullopt;
  if (!key) return false;
  const std::string cert_name = name_of(config.cert, "cert");
  boost::system::error_code ec;
  context_.use_certificate_chain(net::buffer(*cert), ec);
  if (ec) {
    error = "TLS certificate " + cert_name + ": " + ec.message();
    return false;
  }
  context_.use_private_key(net::buffer(*key), ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(native) != 1) {
    error = "TLS key " + name_of(config.key, "key") + " cannot be used with the certificate " +
            cert_name + ": " + (ec ? ec.message() : "key values mismatch");
    return false;
  }

  if (config.client_ca.given()) {
    const auto cas = pem_text(config.client_ca, "client CA", error);
    if (!cas) return false;
    if (add_client_cas(native, *cas) == 0) {
      error =
          "TLS client CA " + name_of(config.client_ca, "client_ca") + ": no PEM certificate in it";
      return false;
    }
  } else if (verifies_) {
    // Go verifies against the system's roots when no client CA is given.
    SSL_CTX_set_default_verify_paths(native);
  }

  // A client that must (or, with allowed SANs, in effect must) send a
  // certificate; exporter-toolkit's SAN check fails a client without one.
  const bool requires_cert = config.client_auth == ClientAuth::require_any_client_cert ||
                             config.client_auth == ClientAuth::require_and_verify_client_cert ||
                             !allowed_sans_.empty();
  if (config.client_auth == ClientAuth::no_client_cert) {
    context_.set_verify_mode(ssl::verify_none);
  } else {
    context_.set_verify_mode(ssl::verify_peer |
                             (requires_cert ? ssl::verify_fail_if_no_peer_cert : 0));
    SSL_CTX_set_cert_verify_callback(native, &ServerTls::check_client_certificate, this);
  }
  return true;
}

// Called once per handshake that brought a client certificate: verifies it
// when client_auth_type says so, then checks its SANs.
int ServerTls::check_client_certificate(X509_STORE_CTX* store, void* self) {
  const auto& tls = *static_cast<const ServerTls*>(self);
  if (tls.verifies_ && X509_verify_cert(store) != 1) return 0;
  if (tls.allowed_sans_.empty() ||
      has_allowed_san(X509_STORE_CTX_get0_cert(store), tls.allowed_sans_)) {
    return 1;
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

}  // namespace nq::metrics::serving
