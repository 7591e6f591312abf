#include "http/web_config.hpp"

#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

namespace nq::metrics {
namespace {

// A value a key may take, by the name the file spells it with.
template <typename T>
struct Named {
  std::string_view name;
  T value;
};

constexpr std::array<Named<int>, 4> kVersions = {{{"TLS10", TLS1_VERSION},
                                                  {"TLS11", TLS1_1_VERSION},
                                                  {"TLS12", TLS1_2_VERSION},
                                                  {"TLS13", TLS1_3_VERSION}}};

constexpr std::array<Named<ClientAuth>, 5> kClientAuths = {{
    {"NoClientCert", ClientAuth::no_client_cert},
    {"RequestClientCert", ClientAuth::request_client_cert},
    {"RequireAnyClientCert", ClientAuth::require_any_client_cert},
    {"VerifyClientCertIfGiven", ClientAuth::verify_client_cert_if_given},
    {"RequireAndVerifyClientCert", ClientAuth::require_and_verify_client_cert},
}};

// The response headers exporter-toolkit lets a web config set.
constexpr std::array<std::string_view, 5> kSettableHeaders = {
    "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "X-XSS-Protection",
    "Content-Security-Policy"};

// exporter-toolkit keys that this listener cannot honour.
constexpr std::array<std::string_view, 3> kUnsupportedTlsKeys = {
    "cipher_suites", "curve_preferences", "prefer_server_cipher_suites"};

std::string_view name_of(std::string_view name) {
  return name;
}
template <typename T>
std::string_view name_of(const Named<T>& entry) {
  return entry.name;
}
// "A, B, C": the names a value may take, for error messages.
template <size_t N, typename Entry>
std::string names_of(const std::array<Entry, N>& table) {
  std::string names;
  for (const auto& entry : table) {
    if (!names.empty()) names += ", ";
    names += name_of(entry);
  }
  return names;
}

bool is_bcrypt_hash(const std::string& hash) {
  // $2a$, $2b$ or $2y$, a two-digit cost, then 53 characters of salt and hash.
  return hash.size() == 60 && hash[0] == '$' && hash[1] == '2' &&
         (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$' &&
         std::isdigit(static_cast<unsigned char>(hash[4])) &&
         std::isdigit(static_cast<unsigned char>(hash[5])) && hash[6] == '$';
}

// One parse of a web config. Each check returns false (or an empty optional)
// after writing "WHERE: what was wrong" into the caller's error.
class Parser {
 public:
  Parser(const std::string& base_dir, std::string& error) : base_dir_(base_dir), error_(error) {}

  bool web_config(const YAML::Node& root, WebConfig& config) {
    if (root.IsNull()) return true;  // an empty file: plain HTTP, no auth
    if (!expect_map(root, "web config")) return false;
    for (const auto& entry : root) {
      const auto key = scalar(entry.first, "web config");
      if (!key) return false;
      if (*key == "tls_server_config") {
        config.tls = tls(entry.second);
        if (!config.tls) return false;
      } else if (*key == "http_server_config") {
        if (!http(entry.second, config)) return false;
      } else if (*key == "basic_auth_users") {
        if (!users(entry.second, config)) return false;
      } else {
        return fail(*key,
                    "unknown key (expected tls_server_config, http_server_config or "
                    "basic_auth_users)");
      }
    }
    return true;
  }

 private:
  bool fail(const std::string& where, const std::string& what) {
    error_ = where + ": " + what;
    return false;
  }
  // fail() for the checks that return an optional.
  std::nullopt_t nothing(const std::string& where, const std::string& what) {
    fail(where, what);
    return std::nullopt;
  }

  std::optional<std::string> scalar(const YAML::Node& node, const std::string& where) {
    if (!node.IsScalar()) return nothing(where, "expected a single value");
    return node.Scalar();
  }

  // The value of the entry of `table` that the scalar `node` names.
  template <typename T, size_t N>
  std::optional<T> one_of(const std::array<Named<T>, N>& table, const YAML::Node& node,
                          const std::string& where) {
    const auto name = scalar(node, where);
    if (!name) return std::nullopt;
    const auto it =
        std::find_if(table.begin(), table.end(), [&](const auto& e) { return e.name == *name; });
    if (it == table.end()) {
      return nothing(where, "'" + *name + "' is not one of " + names_of(table));
    }
    return it->value;
  }

  bool expect_map(const YAML::Node& node, const std::string& where) {
    return node.IsMap() || fail(where, "expected a mapping of keys to values");
  }

  // A file name relative to the web config's directory.
  std::optional<std::string> file(const YAML::Node& node, const std::string& where) {
    auto name = scalar(node, where);
    if (!name || name->empty() || name->front() == '/' || base_dir_.empty()) return name;
    return base_dir_ + "/" + *name;
  }

  std::optional<TlsServerConfig> tls(const YAML::Node& node) {
    const std::string where = "tls_server_config";
    if (!expect_map(node, where)) return std::nullopt;
    TlsServerConfig tls;
    tls.min_version = TLS1_2_VERSION;  // exporter-toolkit's default
    for (const auto& entry : node) {
      const auto key = scalar(entry.first, where);
      if (!key) return std::nullopt;
      const std::string at = where + "." + *key;
      if (std::find(kUnsupportedTlsKeys.begin(), kUnsupportedTlsKeys.end(), *key) !=
          kUnsupportedTlsKeys.end()) {
        return nothing(at, "not supported by this listener (OpenSSL's defaults apply); remove it");
      }
      if (!tls_key(*key, entry.second, at, tls)) return std::nullopt;
    }
    if (tls.cert_file.empty() || tls.key_file.empty()) {
      return nothing(where, "cert_file and key_file are both required");
    }
    const bool verifies = tls.client_auth == ClientAuth::verify_client_cert_if_given ||
                          tls.client_auth == ClientAuth::require_and_verify_client_cert;
    if (verifies && tls.client_ca_file.empty()) {
      return nothing(where + ".client_ca_file", "required to verify client certificates");
    }
    if (!verifies && !tls.client_ca_file.empty()) {
      return nothing(where + ".client_ca_file",
                     "given, but client_auth_type does not verify client certificates (use "
                     "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
    }
    if (tls.max_version != 0 && tls.max_version < tls.min_version) {
      return nothing(where, "max_version is below min_version");
    }
    return tls;
  }

  // One key of tls_server_config into `tls`.
  bool tls_key(const std::string& key, const YAML::Node& value, const std::string& at,
               TlsServerConfig& tls) {
    std::string* file_name = key == "cert_file"        ? &tls.cert_file
                             : key == "key_file"       ? &tls.key_file
                             : key == "client_ca_file" ? &tls.client_ca_file
                                                       : nullptr;
    if (file_name) {
      const auto path = file(value, at);
      if (path) *file_name = *path;
      return path.has_value();
    }
    if (key == "client_auth_type") {
      const auto mode = one_of(kClientAuths, value, at);
      if (mode) tls.client_auth = *mode;
      return mode.has_value();
    }
    if (key == "min_version" || key == "max_version") {
      const auto version = one_of(kVersions, value, at);
      if (version) (key == "min_version" ? tls.min_version : tls.max_version) = *version;
      return version.has_value();
    }
    return fail(at, "unknown key");
  }

  bool http(const YAML::Node& node, WebConfig& config) {
    const std::string where = "http_server_config";
    if (!expect_map(node, where)) return false;
    for (const auto& entry : node) {
      const auto key = scalar(entry.first, where);
      if (!key) return false;
      const std::string at = where + "." + *key;
      if (*key == "http2") {
        // accepted; this listener speaks HTTP/1.1
        if (!scalar(entry.second, at)) return false;
      } else if (*key == "headers") {
        if (!headers(entry.second, at, config)) return false;
      } else {
        return fail(at, "unknown key");
      }
    }
    return true;
  }

  bool headers(const YAML::Node& node, const std::string& where, WebConfig& config) {
    if (!expect_map(node, where)) return false;
    for (const auto& header : node) {
      const auto name = scalar(header.first, where);
      if (!name) return false;
      const std::string at = where + "." + *name;
      if (std::find(kSettableHeaders.begin(), kSettableHeaders.end(), *name) ==
          kSettableHeaders.end()) {
        return fail(at, "not a header that may be set; one of " + names_of(kSettableHeaders));
      }
      const auto value = scalar(header.second, at);
      if (!value) return false;
      if (value->find_first_of("\r\n") != std::string::npos) {
        return fail(at, "line break in value");
      }
      config.headers.emplace_back(*name, *value);
    }
    return true;
  }

  bool users(const YAML::Node& node, WebConfig& config) {
    const std::string where = "basic_auth_users";
    if (!expect_map(node, where)) return false;
    for (const auto& entry : node) {
      const auto user = scalar(entry.first, where);
      if (!user) return false;
      const std::string at = where + "." + *user;
      if (user->empty() || user->find(':') != std::string::npos) {
        return fail(at, "a user name may be neither empty nor contain ':'");
      }
      const auto hash = scalar(entry.second, at);
      if (!hash) return false;
      if (!is_bcrypt_hash(*hash)) {
        return fail(at,
                    "not a bcrypt hash ($2y$..., 60 characters; e.g. from htpasswd -nBC 10 USER)");
      }
      config.basic_auth_users[*user] = *hash;
    }
    return true;
  }

  const std::string& base_dir_;
  std::string& error_;
};

bool readable(const std::string& path) {
  std::ifstream file(path);
  return file.good();
}

}  // namespace

std::optional<WebConfig> parse_web_config(std::string_view text, const std::string& base_dir,
                                          std::string& error) {
  // yaml-cpp reports what it cannot parse (or read from a node) by throwing.
  try {
    WebConfig config;
    Parser parser(base_dir, error);
    if (!parser.web_config(YAML::Load(std::string(text)), config)) return std::nullopt;
    return config;
  } catch (const YAML::Exception& e) {
    error = std::string("not valid YAML: ") + e.what();
  }
  return std::nullopt;
}

std::optional<WebConfig> read_web_config(const std::string& path, std::string& error) {
  std::ifstream file(path);
  if (!file) {
    error = path + ": cannot be read";
    return std::nullopt;
  }
  std::ostringstream text;
  text << file.rdbuf();
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  auto config = parse_web_config(text.str(), dir, error);
  if (!config) {
    error = path + ": " + error;
    return std::nullopt;
  }
  if (config->tls) {
    for (const std::string* file_name :
         {&config->tls->cert_file, &config->tls->key_file, &config->tls->client_ca_file}) {
      if (!file_name->empty() && !readable(*file_name)) {
        error = path + ": " + *file_name + " cannot be read";
        return std::nullopt;
      }
    }
  }
  return config;
}

}  // namespace nq::metrics
