// The listener's web configuration file: TLS, client certificates, basic auth
// and response headers, in the format of Prometheus exporter-toolkit (the
// --web.config.file of node_exporter and friends), so operators reuse what
// they know:
//
//   tls_server_config:
//     cert_file: server.crt          # relative paths: from the file's directory
//     key_file: server.key
//     client_auth_type: RequireAndVerifyClientCert
//     client_ca_file: ca.crt
//     min_version: TLS12             # TLS10..TLS13; default TLS12
//     max_version: TLS13
//   http_server_config:
//     headers:
//       Strict-Transport-Security: max-age=31536000
//   basic_auth_users:
//     prometheus: $2y$10$...         # bcrypt hashes only
//
// Unknown keys are errors (as exporter-toolkit's strict parsing); so are the
// exporter-toolkit keys this listener cannot honour (cipher_suites,
// curve_preferences, prefer_server_cipher_suites: OpenSSL's defaults apply),
// so that a file never silently means less than it says.
//
// Thread-safety: pure functions; a WebConfig is a plain value.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nq::metrics {

// exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType).
enum class ClientAuth {
  no_client_cert,
  request_client_cert,
  require_any_client_cert,
  verify_client_cert_if_given,
  require_and_verify_client_cert,
};

// Protocol versions as OpenSSL numbers them (TLS1_2_VERSION...); 0 = no bound.
struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  ClientAuth client_auth = ClientAuth::no_client_cert;
  int min_version = 0;
  int max_version = 0;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

// Parses the text of a web config file; relative file names are taken from
// `base_dir`. On an error returns nullopt and sets `error` to a message that
// names the key, e.g. "tls_server_config.min_version: 'TLS9' is not one of
// TLS10, TLS11, TLS12, TLS13".
std::optional<WebConfig> parse_web_config(std::string_view text, const std::string& base_dir,
                                          std::string& error);

// Reads and parses the file at `path`, and checks that the files it names
// can be read. Errors start with the path.
std::optional<WebConfig> read_web_config(const std::string& path, std::string& error);

}  // namespace nq::metrics
