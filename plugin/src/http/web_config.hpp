// The listener's web configuration file: TLS, client certificates, basic auth,
// response headers and a rate limit, in the format of Prometheus
// exporter-toolkit (the --web.config.file of node_exporter and friends), so
// that operators reuse what they know:
//
//   tls_server_config:
//     cert_file: server.crt          # or cert: inline PEM; relative paths:
//     key_file: server.key           #   from the file's directory
//     client_auth_type: RequireAndVerifyClientCert
//     client_ca_file: ca.crt         # or client_ca: inline PEM
//     client_allowed_sans: [prometheus.example.com]
//     min_version: TLS12             # TLS10..TLS13; default TLS12..TLS13
//     cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]   # Go's names
//     curve_preferences: [X25519, CurveP256]
//   http_server_config:
//     headers:
//       Strict-Transport-Security: max-age=31536000
//   rate_limit: {interval: 1s, burst: 10}
//   basic_auth_users:
//     prometheus: $2y$10$...         # bcrypt hashes only
//
// A key means what it means in exporter-toolkit, or the file is refused with
// a message naming the key and why: unknown keys and values are errors (as
// exporter-toolkit's strict parsing), and so are combinations that
// exporter-toolkit would resolve silently (cert and cert_file both given) or
// that could only refuse every client. The README lists every key.
//
// Thread-safety: pure functions (but for reading files); a WebConfig is a
// plain value.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
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

// PEM text given inline or by a file name (at most one of the two).
struct PemSource {
  std::string file;
  std::string text;
  bool given() const noexcept { return !file.empty() || !text.empty(); }
};

// Protocol versions as OpenSSL numbers them (TLS1_2_VERSION...). Cipher and
// group names are OpenSSL's, translated from Go's.
struct TlsServerConfig {
  PemSource cert;
  PemSource key;
  PemSource client_ca;
  ClientAuth client_auth = ClientAuth::no_client_cert;
  std::vector<std::string> client_allowed_sans;  // empty: no check
  std::vector<std::string> tls12_ciphers;        // for TLS <= 1.2; empty: OpenSSL's defaults
  std::vector<std::string> groups;               // key exchange groups; empty: defaults
  bool prefer_server_cipher_suites = true;
  int min_version = 0;
  int max_version = 0;

  // A client certificate is checked against a CA (the client CA, or the
  // system's roots without one).
  bool verifies_client_certs() const noexcept {
    return client_auth == ClientAuth::verify_client_cert_if_given ||
           client_auth == ClientAuth::require_and_verify_client_cert;
  }
};

// exporter-toolkit's rate_limit: `burst` requests at once, then one per
// `interval`, over all clients. Absent or an interval of 0: no limit.
struct RateLimit {
  std::chrono::nanoseconds interval{0};
  uint32_t burst = 0;
  bool operator==(const RateLimit&) const = default;
};

// What tells that a file may have changed without reading it.
struct FileStamp {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  int64_t modified_ns = 0;
  int64_t changed_ns = 0;  // ctime: also moves when mtime is set back
  bool operator==(const FileStamp&) const = default;
};
FileStamp stamp_of(const std::string& path);

// A file a web config was read from (the file itself or one it names), with
// its stamp taken before it was read.
struct FileRead {
  std::string path;
  FileStamp stamp;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;  // absent: plain HTTP
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
  std::optional<RateLimit> rate_limit;
  // What the file says that has no effect here, said why; for the log.
  std::vector<std::string> notes;
  // When read from a file: that file and the files it names.
  std::string path;
  std::vector<FileRead> files;
};

// Parses the text of a web config file; relative file names are taken from
// `base_dir`. On an error returns nullopt and sets `error` to a message that
// names the key, e.g. "tls_server_config.min_version: 'TLS9' is not one of
// TLS10, TLS11, TLS12, TLS13".
std::optional<WebConfig> parse_web_config(std::string_view text, const std::string& base_dir,
                                          std::string& error);

// Reads and parses the file at `path`, stamping it and the files it names
// (before they are read, so that a later change is always seen). Errors
// start with the path.
std::optional<WebConfig> load_web_config(const std::string& path, std::string& error);

// load_web_config(), and checks that the files it names can be read.
std::optional<WebConfig> read_web_config(const std::string& path, std::string& error);

}  // namespace nq::metrics
