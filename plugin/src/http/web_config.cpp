#include "http/web_config.hpp"

#include <openssl/ssl.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
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

constexpr std::array<Named<ClientAuth>, 6> kClientAuths = {{
    {"NoClientCert", ClientAuth::no_client_cert},
    {"RequestClientCert", ClientAuth::request_client_cert},
    {"RequireAnyClientCert", ClientAuth::require_any_client_cert},
    {"RequireClientCert", ClientAuth::require_any_client_cert},  // exporter-toolkit's old name
    {"VerifyClientCertIfGiven", ClientAuth::verify_client_cert_if_given},
    {"RequireAndVerifyClientCert", ClientAuth::require_and_verify_client_cert},
}};

// Go's tls.CipherSuites() by name (Go 1.25, which exporter-toolkit is built
// with: the RSA key exchange suites are among its insecure ones, which
// exporter-toolkit does not accept), with OpenSSL's name of each. The TLS
// 1.3 suites have none: Go does not let cipher_suites restrict TLS 1.3, so
// they are accepted and change nothing.
constexpr std::array<Named<std::string_view>, 13> kCipherSuites = {{
    {"TLS_AES_128_GCM_SHA256", ""},
    {"TLS_AES_256_GCM_SHA384", ""},
    {"TLS_CHACHA20_POLY1305_SHA256", ""},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
}};

// The keys of each section.
constexpr std::array<std::string_view, 4> kSections = {"tls_server_config", "http_server_config",
                                                       "rate_limit", "basic_auth_users"};
constexpr std::array<std::string_view, 13> kTlsKeys = {"cert",
                                                       "cert_file",
                                                       "key",
                                                       "key_file",
                                                       "client_ca",
                                                       "client_ca_file",
                                                       "client_auth_type",
                                                       "client_allowed_sans",
                                                       "cipher_suites",
                                                       "curve_preferences",
                                                       "prefer_server_cipher_suites",
                                                       "min_version",
                                                       "max_version"};
constexpr std::array<std::string_view, 2> kHttpKeys = {"http2", "headers"};
constexpr std::array<std::string_view, 2> kRateLimitKeys = {"interval", "burst"};

// exporter-toolkit's curve names, with OpenSSL's group names.
constexpr std::array<Named<std::string_view>, 4> kCurves = {
    {{"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}}};

// The response headers exporter-toolkit lets a web config set, and the
// values it allows for those whose values are an enumeration (compared as
// spelled, as exporter-toolkit does).
struct SettableHeader {
  std::string_view name;
  std::array<std::string_view, 2> allowed;  // empty: any value
};
constexpr std::array<SettableHeader, 5> kSettableHeaders = {{
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
}};

// Go's duration units (time.ParseDuration), in nanoseconds.
constexpr std::array<Named<int64_t>, 8> kDurationUnits = {{{"ns", 1},
                                                           {"us", 1'000},
                                                           {"\u00b5s", 1'000},
                                                           {"\u03bcs", 1'000},
                                                           {"ms", 1'000'000},
                                                           {"s", 1'000'000'000},
                                                           {"m", 60'000'000'000},
                                                           {"h", 3'600'000'000'000}}};

std::string_view name_of(std::string_view name) {
  return name;
}
std::string_view name_of(const SettableHeader& header) {
  return header.name;
}
template <typename T>
std::string_view name_of(const Named<T>& entry) {
  return entry.name;
}
// "A, B, C": the names a value may take, for error messages.
template <typename Range>
std::string names_of(const Range& table) {
  std::string names;
  for (const auto& entry : table) {
    if (name_of(entry).empty()) continue;
    if (!names.empty()) names += ", ";
    names += name_of(entry);
  }
  return names;
}

template <typename T, size_t N>
const Named<T>* find_named(const std::array<Named<T>, N>& table, std::string_view name) {
  const auto it =
      std::find_if(table.begin(), table.end(), [&](const auto& e) { return e.name == name; });
  return it == table.end() ? nullptr : &*it;
}

bool is_bcrypt_hash(const std::string& hash) {
  // $2a$, $2b$ or $2y$, a two-digit cost, then 53 characters of salt and hash.
  return hash.size() == 60 && hash[0] == '$' && hash[1] == '2' &&
         (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$' &&
         std::isdigit(static_cast<unsigned char>(hash[4])) &&
         std::isdigit(static_cast<unsigned char>(hash[5])) && hash[6] == '$';
}

// A Go duration ("1s", "1m30s", "250ms", "1.5h") or a bare 0; nullopt when
// not one, negative, or past Go's limit (about 292 years).
std::optional<std::chrono::nanoseconds> go_duration(std::string_view text) {
  if (text == "0") return std::chrono::nanoseconds(0);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  long double total = 0;
  while (!text.empty()) {
    const size_t number_end = std::min(text.find_first_not_of("0123456789."), text.size());
    const std::string_view number = text.substr(0, number_end);
    if (number.empty() || number == "." || std::count(number.begin(), number.end(), '.') > 1) {
      return std::nullopt;
    }
    text.remove_prefix(number_end);
    const size_t unit_end = std::min(text.find_first_of("0123456789."), text.size());
    const Named<int64_t>* unit = find_named(kDurationUnits, text.substr(0, unit_end));
    if (unit == nullptr) return std::nullopt;
    text.remove_prefix(unit_end);
    total += std::strtold(std::string(number).c_str(), nullptr) * unit->value;
  }
  if (total > static_cast<long double>(INT64_MAX)) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
}

// One parse of a web config. Each check returns false (or an empty optional)
// after writing "WHERE: what was wrong" into the caller's error. A key whose
// value is empty (null) counts as absent, as in exporter-toolkit.
class Parser {
 public:
  Parser(const std::string& base_dir, std::string& error) : base_dir_(base_dir), error_(error) {}

  bool web_config(const YAML::Node& root, WebConfig& config) {
    if (root.IsNull()) return true;  // an empty file: plain HTTP, no auth
    if (!expect_map(root, "web config")) return false;
    for (const auto& entry : root) {
      const auto key = scalar(entry.first, "web config");
      if (!key) return false;
      if (!known(kSections, *key, *key)) return false;
      if (entry.second.IsNull()) continue;
      const bool ok = *key == "tls_server_config"    ? tls(entry.second, config)
                      : *key == "http_server_config" ? http(entry.second, config)
                      : *key == "rate_limit"         ? rate_limit(entry.second, config)
                                                     : users(entry.second, config);
      if (!ok) return false;
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

  std::optional<bool> boolean(const YAML::Node& node, const std::string& where) {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      return nothing(where, "expected true or false");
    }
    return value;
  }

  // A list of single values.
  std::optional<std::vector<std::string>> list(const YAML::Node& node, const std::string& where) {
    if (!node.IsSequence()) return nothing(where, "expected a list");
    std::vector<std::string> values;
    for (const auto& item : node) {
      auto value = scalar(item, where);
      if (!value) return std::nullopt;
      values.push_back(std::move(*value));
    }
    return values;
  }

  // The entry of `table` that the string `name` names.
  template <typename T, size_t N>
  const Named<T>* one_of(const std::array<Named<T>, N>& table, const std::string& name,
                         const std::string& where) {
    const Named<T>* entry = find_named(table, name);
    if (entry == nullptr) fail(where, "'" + name + "' is not one of " + names_of(table));
    return entry;
  }

  // A key of a section, or an error that lists the section's keys.
  template <size_t N>
  bool known(const std::array<std::string_view, N>& keys, const std::string& key,
             const std::string& at) {
    return std::find(keys.begin(), keys.end(), key) != keys.end() ||
           fail(at, "unknown key (expected one of " + names_of(keys) + ")");
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

  bool tls(const YAML::Node& node, WebConfig& config) {
    const std::string where = "tls_server_config";
    if (!expect_map(node, where)) return false;
    TlsServerConfig tls;
    tls.min_version = TLS1_2_VERSION;  // exporter-toolkit's defaults
    tls.max_version = TLS1_3_VERSION;
    bool auth_named = false;  // client_auth_type given (not empty)
    std::optional<std::vector<std::string>> sans;
    bool only_tls13_ciphers = false;
    for (const auto& entry : node) {
      const auto key = scalar(entry.first, where);
      if (!key) return false;
      const std::string at = where + "." + *key;
      if (!known(kTlsKeys, *key, at)) return false;
      if (entry.second.IsNull()) continue;
      if (*key == "client_auth_type") {
        const auto name = scalar(entry.second, at);
        if (!name) return false;
        auth_named = !name->empty();
        if (!auth_named) continue;  // exporter-toolkit: empty is NoClientCert
        const auto* mode = one_of(kClientAuths, *name, at);
        if (mode == nullptr) return false;
        tls.client_auth = mode->value;
      } else if (*key == "client_allowed_sans") {
        sans = list(entry.second, at);
        if (!sans) return false;
      } else if (*key == "cipher_suites") {
        if (!ciphers(entry.second, at, tls, only_tls13_ciphers)) return false;
      } else if (*key == "curve_preferences") {
        if (!curves(entry.second, at, tls)) return false;
      } else if (*key == "prefer_server_cipher_suites") {
        const auto prefer = boolean(entry.second, at);
        if (!prefer) return false;
        tls.prefer_server_cipher_suites = *prefer;
      } else if (*key == "min_version" || *key == "max_version") {
        const auto name = scalar(entry.second, at);
        const auto* version = name ? one_of(kVersions, *name, at) : nullptr;
        if (version == nullptr) return false;
        (*key == "min_version" ? tls.min_version : tls.max_version) = version->value;
      } else if (!pem(*key, entry.second, at, tls)) {
        return false;
      }
    }
    // As exporter-toolkit: TLS is on when a certificate, a key, a client CA
    // or client_auth_type is given; otherwise the listener serves plain HTTP.
    if (!tls.cert.given() && !tls.key.given() && !tls.client_ca.given() && !auth_named) {
      if (node.size() > 0) {
        config.notes.push_back(
            "tls_server_config names no certificate (cert or cert_file): serving plain HTTP, "
            "as exporter-toolkit does; its other keys have no effect");
      }
      return true;
    }
    if (!tls_is_whole(tls, sans, only_tls13_ciphers)) return false;
    if (sans) tls.client_allowed_sans = std::move(*sans);
    config.tls = std::move(tls);
    return true;
  }

  // cert, key, client_ca (inline PEM) and their *_file keys.
  bool pem(const std::string& key, const YAML::Node& value, const std::string& at,
           TlsServerConfig& tls) {
    const bool is_file = key.ends_with("_file");
    const std::string base = is_file ? key.substr(0, key.size() - 5) : key;
    PemSource& source = base == "cert" ? tls.cert : base == "key" ? tls.key : tls.client_ca;
    const auto text = is_file ? file(value, at) : scalar(value, at);
    if (!text) return false;
    (is_file ? source.file : source.text) = *text;
    return true;
  }

  // The checks across the keys of a TLS config that turns TLS on.
  bool tls_is_whole(const TlsServerConfig& tls, const std::optional<std::vector<std::string>>& sans,
                    bool only_tls13_ciphers) {
    const std::string where = "tls_server_config";
    for (const auto& [name, source] : {std::pair{"cert", &tls.cert}, std::pair{"key", &tls.key},
                                       std::pair{"client_ca", &tls.client_ca}}) {
      if (!source->file.empty() && !source->text.empty()) {
        return fail(where, std::string(name) + " and " + name +
                               "_file are both given: give one (exporter-toolkit would silently "
                               "use " +
                               name + "_file)");
      }
    }
    if (!tls.cert.given()) return fail(where, "cert or cert_file is required");
    if (!tls.key.given()) return fail(where, "key or key_file is required");
    const bool asks_for_certs = tls.client_auth != ClientAuth::no_client_cert;
    if (tls.client_ca.given() && !asks_for_certs) {
      return fail(where + ".client_auth_type",
                  "a client CA is given but NoClientCert asks clients for no certificate (use "
                  "RequireAndVerifyClientCert)");
    }
    if (sans && sans->empty()) {
      return fail(where + ".client_allowed_sans", "an empty list would refuse every client");
    }
    if (sans && !asks_for_certs) {
      return fail(where + ".client_allowed_sans",
                  "given, but client_auth_type NoClientCert asks clients for no certificate to "
                  "check (use RequireAndVerifyClientCert)");
    }
    if (tls.max_version < tls.min_version) {
      return fail(where, "max_version is below min_version");
    }
    if (only_tls13_ciphers && tls.min_version < TLS1_3_VERSION) {
      return fail(where + ".cipher_suites",
                  "names only TLS 1.3 suites, which cipher_suites does not restrict, so TLS 1.2 "
                  "would have no cipher; add a TLS 1.2 suite or set min_version: TLS13");
    }
    return true;
  }

  bool ciphers(const YAML::Node& node, const std::string& at, TlsServerConfig& tls,
               bool& only_tls13) {
    const auto names = list(node, at);
    if (!names) return false;
    for (const std::string& name : *names) {
      const auto* suite = one_of(kCipherSuites, name, at);
      if (suite == nullptr) return false;
      if (!suite->value.empty()) tls.tls12_ciphers.emplace_back(suite->value);
    }
    only_tls13 = !names->empty() && tls.tls12_ciphers.empty();
    return true;
  }

  bool curves(const YAML::Node& node, const std::string& at, TlsServerConfig& tls) {
    const auto names = list(node, at);
    if (!names) return false;
    for (const std::string& name : *names) {
      const auto* curve = one_of(kCurves, name, at);
      if (curve == nullptr) return false;
      const std::string group(curve->value);
      if (std::find(tls.groups.begin(), tls.groups.end(), group) == tls.groups.end()) {
        tls.groups.push_back(group);
      }
    }
    return true;
  }

  bool http(const YAML::Node& node, WebConfig& config) {
    const std::string where = "http_server_config";
    if (!expect_map(node, where)) return false;
    for (const auto& entry : node) {
      const auto key = scalar(entry.first, where);
      if (!key) return false;
      const std::string at = where + "." + *key;
      if (!known(kHttpKeys, *key, at)) return false;
      if (entry.second.IsNull()) continue;
      if (*key == "http2") {
        // Either way: this listener speaks HTTP/1.1, which is what clients
        // that do not negotiate h2 get from exporter-toolkit too.
        if (!boolean(entry.second, at)) return false;
      } else if (!headers(entry.second, at, config)) {
        return false;
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
      const auto settable = std::find_if(kSettableHeaders.begin(), kSettableHeaders.end(),
                                         [&](const auto& h) { return h.name == *name; });
      if (settable == kSettableHeaders.end()) {
        return fail(at, "not a header that may be set; one of " + names_of(kSettableHeaders));
      }
      const auto value =
          header.second.IsNull() ? std::optional<std::string>("") : scalar(header.second, at);
      if (!value) return false;
      const auto& allowed = settable->allowed;
      if (!allowed[0].empty() &&
          std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
        return fail(at, "'" + *value + "' is not one of " + names_of(allowed));
      }
      if (value->find_first_of("\r\n") != std::string::npos) {
        return fail(at, "line break in value");
      }
      config.headers.emplace_back(*name, *value);
    }
    return true;
  }

  bool rate_limit(const YAML::Node& node, WebConfig& config) {
    const std::string where = "rate_limit";
    if (!expect_map(node, where)) return false;
    RateLimit limit;
    for (const auto& entry : node) {
      const auto key = scalar(entry.first, where);
      if (!key) return false;
      const std::string at = where + "." + *key;
      if (!known(kRateLimitKeys, *key, at)) return false;
      if (entry.second.IsNull()) continue;
      const auto text = scalar(entry.second, at);
      if (!text) return false;
      if (*key == "interval") {
        const auto interval = go_duration(*text);
        if (!interval) {
          const bool bare_number = text->find_first_not_of("0123456789") == std::string::npos;
          return fail(at, "'" + *text + "' is not a duration such as 1s, 250ms or 1m30s" +
                              (bare_number ? " (a bare number would be nanoseconds)" : ""));
        }
        limit.interval = *interval;
      } else {
        int burst = -1;
        const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), burst);
        if (ec != std::errc() || end != text->data() + text->size() || burst < 0) {
          return fail(at, "'" + *text + "' is not a number of requests from 0 to " +
                              std::to_string(INT_MAX));
        }
        limit.burst = static_cast<uint32_t>(burst);
      }
    }
    if (limit.interval.count() == 0) return true;  // exporter-toolkit: 0 turns it off
    if (limit.burst == 0) {
      return fail(where + ".burst",
                  "0 with an interval would refuse every request (429); give at least 1, or an "
                  "interval of 0 for no limit");
    }
    config.rate_limit = limit;
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

int64_t nanoseconds_of(const timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

FileStamp stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {true,
          st.st_dev,
          st.st_ino,
          st.st_size,
          nanoseconds_of(st.st_mtim),
          nanoseconds_of(st.st_ctim)};
}

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

std::optional<WebConfig> load_web_config(const std::string& path, std::string& error) {
  const FileStamp stamp = stamp_of(path);
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
  config->path = path;
  config->files.push_back({path, stamp});
  if (config->tls) {
    for (const PemSource* source :
         {&config->tls->cert, &config->tls->key, &config->tls->client_ca}) {
      if (!source->file.empty()) config->files.push_back({source->file, stamp_of(source->file)});
    }
  }
  return config;
}

std::optional<WebConfig> read_web_config(const std::string& path, std::string& error) {
  auto config = load_web_config(path, error);
  if (!config) return std::nullopt;
  for (size_t i = 1; i < config->files.size(); ++i) {
    if (!readable(config->files[i].path)) {
      error = path + ": " + config->files[i].path + " cannot be read";
      return std::nullopt;
    }
  }
  return config;
}

}  // namespace nq::metrics
