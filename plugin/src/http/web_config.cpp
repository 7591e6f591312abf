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

// Errors are thrown inside the parser and turned into the message at its top.
struct ConfigError {
  std::string message;
};

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw ConfigError{where + ": " + what};
}

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

std::string scalar(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) fail(where, "expected a single value");
  return node.Scalar();
}

// The value of the entry of `table` that the scalar `node` names.
template <typename T, size_t N>
T one_of(const std::array<Named<T>, N>& table, const YAML::Node& node, const std::string& where) {
  const std::string name = scalar(node, where);
  const auto it =
      std::find_if(table.begin(), table.end(), [&](const auto& e) { return e.name == name; });
  if (it == table.end()) fail(where, "'" + name + "' is not one of " + names_of(table));
  return it->value;
}

void expect_map(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) fail(where, "expected a mapping of keys to values");
}

std::string file_in(const std::string& base_dir, const std::string& name) {
  if (name.empty() || name.front() == '/' || base_dir.empty()) return name;
  return base_dir + "/" + name;
}

TlsServerConfig parse_tls(const YAML::Node& node, const std::string& base_dir) {
  const std::string where = "tls_server_config";
  expect_map(node, where);
  TlsServerConfig tls;
  tls.min_version = TLS1_2_VERSION;  // exporter-toolkit's default
  for (const auto& entry : node) {
    const std::string key = scalar(entry.first, where);
    const std::string at = where + "." + key;
    if (std::find(kUnsupportedTlsKeys.begin(), kUnsupportedTlsKeys.end(), key) !=
        kUnsupportedTlsKeys.end()) {
      fail(at, "not supported by this listener (OpenSSL's defaults apply); remove it");
    }
    if (key == "cert_file") {
      tls.cert_file = file_in(base_dir, scalar(entry.second, at));
    } else if (key == "key_file") {
      tls.key_file = file_in(base_dir, scalar(entry.second, at));
    } else if (key == "client_ca_file") {
      tls.client_ca_file = file_in(base_dir, scalar(entry.second, at));
    } else if (key == "client_auth_type") {
      tls.client_auth = one_of(kClientAuths, entry.second, at);
    } else if (key == "min_version" || key == "max_version") {
      (key == "min_version" ? tls.min_version : tls.max_version) =
          one_of(kVersions, entry.second, at);
    } else {
      fail(at, "unknown key");
    }
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    fail(where, "cert_file and key_file are both required");
  }
  const bool verifies = tls.client_auth == ClientAuth::verify_client_cert_if_given ||
                        tls.client_auth == ClientAuth::require_and_verify_client_cert;
  if (verifies && tls.client_ca_file.empty()) {
    fail(where + ".client_ca_file", "required to verify client certificates");
  }
  if (!verifies && !tls.client_ca_file.empty()) {
    fail(where + ".client_ca_file",
         "given, but client_auth_type does not verify client certificates (use "
         "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  }
  if (tls.max_version != 0 && tls.max_version < tls.min_version) {
    fail(where, "max_version is below min_version");
  }
  return tls;
}

void parse_http(const YAML::Node& node, WebConfig& config) {
  const std::string where = "http_server_config";
  expect_map(node, where);
  for (const auto& entry : node) {
    const std::string key = scalar(entry.first, where);
    const std::string at = where + "." + key;
    if (key == "http2") {
      scalar(entry.second, at);  // accepted; this listener speaks HTTP/1.1
    } else if (key == "headers") {
      expect_map(entry.second, at);
      for (const auto& header : entry.second) {
        const std::string name = scalar(header.first, at);
        if (std::find(kSettableHeaders.begin(), kSettableHeaders.end(), name) ==
            kSettableHeaders.end()) {
          fail(at + "." + name,
               "not a header that may be set; one of " + names_of(kSettableHeaders));
        }
        const std::string value = scalar(header.second, at + "." + name);
        if (value.find_first_of("\r\n") != std::string::npos)
          fail(at + "." + name, "line break in value");
        config.headers.emplace_back(name, value);
      }
    } else {
      fail(at, "unknown key");
    }
  }
}

bool is_bcrypt_hash(const std::string& hash) {
  // $2a$, $2b$ or $2y$, a two-digit cost, then 53 characters of salt and hash.
  return hash.size() == 60 && hash[0] == '$' && hash[1] == '2' &&
         (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$' &&
         std::isdigit(static_cast<unsigned char>(hash[4])) &&
         std::isdigit(static_cast<unsigned char>(hash[5])) && hash[6] == '$';
}

void parse_users(const YAML::Node& node, WebConfig& config) {
  const std::string where = "basic_auth_users";
  expect_map(node, where);
  for (const auto& entry : node) {
    const std::string user = scalar(entry.first, where);
    const std::string at = where + "." + user;
    if (user.empty() || user.find(':') != std::string::npos) {
      fail(at, "a user name may be neither empty nor contain ':'");
    }
    const std::string hash = scalar(entry.second, at);
    if (!is_bcrypt_hash(hash)) {
      fail(at, "not a bcrypt hash ($2y$..., 60 characters; e.g. from htpasswd -nBC 10 USER)");
    }
    config.basic_auth_users[user] = hash;
  }
}

bool readable(const std::string& path) {
  std::ifstream file(path);
  return file.good();
}

}  // namespace

std::optional<WebConfig> parse_web_config(std::string_view text, const std::string& base_dir,
                                          std::string& error) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    WebConfig config;
    if (root.IsNull()) return config;  // an empty file: plain HTTP, no auth
    expect_map(root, "web config");
    for (const auto& entry : root) {
      const std::string key = scalar(entry.first, "web config");
      if (key == "tls_server_config") {
        config.tls = parse_tls(entry.second, base_dir);
      } else if (key == "http_server_config") {
        parse_http(entry.second, config);
      } else if (key == "basic_auth_users") {
        parse_users(entry.second, config);
      } else {
        fail(key,
             "unknown key (expected tls_server_config, http_server_config or "
             "basic_auth_users)");
      }
    }
    return config;
  } catch (const ConfigError& e) {
    error = e.message;
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
