#include "config/plugin_settings.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "nq/nq_abi_cpp.hpp"
#include "store/label_table.hpp"

namespace nq::metrics {
namespace {

std::optional<std::string> lookup(const nq_engine_services& services, std::string_view key) {
  if (services.config_lookup == nullptr) return std::nullopt;
  const nq_str k{key.data(), key.size()};
  std::string value(64, '\0');
  int64_t len = services.config_lookup(services.engine_context, k, value.data(), value.size());
  if (len < 0) return std::nullopt;
  if (static_cast<size_t>(len) > value.size()) {
    value.resize(static_cast<size_t>(len));
    len = services.config_lookup(services.engine_context, k, value.data(), value.size());
    if (len < 0) return std::nullopt;
  }
  value.resize(std::min(static_cast<size_t>(len), value.size()));
  return value;
}

bool is_ip_literal(const std::string& host, bool v6) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(v6 ? AF_INET6 : AF_INET, host.c_str(), buf.data()) == 1;
}

constexpr std::string_view kMetricPrefix = "neuroquantum_";
constexpr uint32_t kMaxBound = 1'000'000;

// "buckets.query_duration_seconds" for neuroquantum_query_duration_seconds.
std::string buckets_key(const FamilyDef& def) {
  std::string_view name = def.name;
  if (name.substr(0, kMetricPrefix.size()) == kMetricPrefix)
    name.remove_prefix(kMetricPrefix.size());
  return "buckets." + std::string(name);
}

bool has_bucket_setting(const FamilyDef& def) {
  return def.type == MetricType::histogram && def.source == Source::events;
}

std::optional<double> parse_double(const std::string& text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<uint32_t> parse_uint(const std::string& text, uint32_t lo, uint32_t hi) {
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < lo || value > hi) {
    return std::nullopt;
  }
  return value;
}

// "0.001, 0.01,0.1": strictly increasing, positive, at most kMaxHistogramBuckets.
std::optional<std::vector<double>> parse_buckets(const std::string& text) {
  std::vector<double> bounds;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    const auto value = parse_double(item);
    if (!value || *value <= 0 || (!bounds.empty() && *value <= bounds.back())) return std::nullopt;
    bounds.push_back(*value);
    start = end + 1;
  }
  if (bounds.empty() || bounds.size() > kMaxHistogramBuckets) return std::nullopt;
  return bounds;
}

std::optional<int32_t> parse_int(const std::string& text, int32_t lo, int32_t hi) {
  int32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < lo || value > hi) {
    return std::nullopt;
  }
  return value;
}

// Native buckets: the range of the zero threshold (recording is in whole
// nanoseconds; above 1 s the buckets would start too late for durations).
constexpr double kMinZeroThreshold = 1e-9, kMaxZeroThreshold = 1;
constexpr uint32_t kMaxNativeBudget = 100'000;

// The native histogram families, for the reference: "a, b and c".
std::string native_family_names() {
  std::vector<std::string_view> names;
  for (const FamilyDef& def : catalogue()) {
    if (has_native_buckets(def)) names.push_back(def.name);
  }
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + std::string(names[i]);
  }
  return out;
}

std::string bad_value(std::string_view key, const std::string& value, std::string_view expected) {
  return "setting '" + std::string(key) + "' = '" + value + "' is not valid: expected " +
         std::string(expected);
}

// The plugin's log levels: the ABI's, and "off".
constexpr std::string_view kLogOff = "off";
bool is_log_level(std::string_view name) {
  return name == kLogOff || std::find(nq::kLogLevelNames.begin(), nq::kLogLevelNames.end(), name) !=
                                nq::kLogLevelNames.end();
}
// "trace, debug, info, warn, error" + `last` + "off".
std::string log_level_names(std::string_view last) {
  std::string out;
  for (const std::string_view name : nq::kLogLevelNames) out += std::string(name) + ", ";
  out.resize(out.size() - 2);
  return out + std::string(last) + std::string(kLogOff);
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(const std::string& text) {
  ListenAddress out;
  std::string port_text;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    out.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    v6 = true;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    out.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (out.host == "localhost") out.host = "127.0.0.1";
  }
  if (!is_ip_literal(out.host, v6)) return std::nullopt;
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port_text.empty() ||
      port > 65535) {
    return std::nullopt;
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

// The listener's integer settings, declared once for parsing and reference.
struct ListenerSetting {
  std::string_view key;
  uint32_t ListenerLimits::*field;
  uint32_t min, max;
  std::string_view meaning;
};
constexpr ListenerSetting kListenerSettings[] = {
    {"http_threads", &ListenerLimits::threads, 1, 16,
     "threads serving HTTP (never engine threads): a flood of scrapes uses at most these"},
    {"http_max_connections", &ListenerLimits::max_connections, 1, 1'000'000,
     "open HTTP connections at most (and at most half the process's open-file limit); at the "
     "limit a new connection evicts the oldest one still waiting for its request head, and is "
     "answered 503 only when none is waiting"},
    {"http_max_header_bytes", &ListenerLimits::max_header_bytes, 512, 1 << 20,
     "request line and headers at most, in bytes; more is answered 431"},
    {"http_max_request_line_bytes", &ListenerLimits::max_request_line_bytes, 64, 1 << 20,
     "request line at most, in bytes; more is answered 414"},
    {"http_header_timeout_seconds", &ListenerLimits::header_timeout_seconds, 1, 3600,
     "a new connection must finish its TLS handshake and request head within this time of being "
     "accepted, a keep-alive request its head within this time of its first byte, or the "
     "connection is closed (slow or silent clients)"},
    {"http_read_timeout_seconds", &ListenerLimits::read_timeout_seconds, 1, 3600,
     "a response must be taken by the client within this time, or the connection is closed"},
    {"http_idle_timeout_seconds", &ListenerLimits::idle_timeout_seconds, 1, 86'400,
     "a keep-alive connection waiting for its next request is closed after this time"},
};

std::optional<Settings> read_settings(const nq_engine_services& services, std::string& error) {
  Settings settings;
  if (auto listen = lookup(services, "listen")) {
    auto address = parse_listen_address(*listen);
    if (!address) {
      error = "setting 'listen' = '" + *listen +
              "' is not an address: expected IP:PORT such as 127.0.0.1:9470 or [::1]:9470";
      return std::nullopt;
    }
    settings.listen = *address;
  }
  for (const ListenerSetting& setting : kListenerSettings) {
    if (auto text = lookup(services, setting.key)) {
      const auto value = parse_uint(*text, setting.min, setting.max);
      if (!value) {
        error = bad_value(setting.key, *text,
                          "an integer from " + std::to_string(setting.min) + " to " +
                              std::to_string(setting.max));
        return std::nullopt;
      }
      settings.listener.*setting.field = *value;
    }
  }
  if (auto path = lookup(services, "web_config_file"); path && !path->empty()) {
    auto web = read_web_config(*path, error);
    if (!web) {
      error = "setting 'web_config_file': " + error;
      return std::nullopt;
    }
    settings.web = std::move(*web);
  }
  if (auto level = lookup(services, "log_level")) {
    if (!is_log_level(*level)) {
      error = "setting 'log_level' = '" + *level + "' is not a level: expected " +
              log_level_names(" or ");
      return std::nullopt;
    }
    settings.log_level = *level;
  }
  if (auto text = lookup(services, "slow_query_seconds")) {
    const auto seconds = parse_double(*text);
    if (!seconds || *seconds <= 0 || *seconds > 1e6) {
      error = bad_value("slow_query_seconds", *text, "a number of seconds above 0");
      return std::nullopt;
    }
    settings.recorder.slow_query_ns = static_cast<uint64_t>(*seconds * 1e9);
  }
  if (auto text = lookup(services, "label_value_max_bytes")) {
    const auto bytes = parse_uint(*text, 1, kMaxLabelValueBytes);
    if (!bytes) {
      error = bad_value("label_value_max_bytes", *text, "an integer from 1 to 128");
      return std::nullopt;
    }
    settings.recorder.label_value_max_bytes = *bytes;
  }
  for (const LabelSpaceDef& space : label_spaces()) {
    if (space.id == LabelSpaceId::none) continue;
    if (auto text = lookup(services, space.setting)) {
      const auto bound = parse_uint(*text, 1, kMaxBound);
      if (!bound) {
        error = bad_value(space.setting, *text, "an integer from 1 to 1000000");
        return std::nullopt;
      }
      settings.store.bounds[static_cast<size_t>(space.id)] = *bound;
    }
  }
  NativeHistogramOptions& native = settings.store.native;
  if (auto text = lookup(services, "native_histograms")) {
    if (*text != "true" && *text != "false") {
      error = bad_value("native_histograms", *text, "true or false");
      return std::nullopt;
    }
    native.enabled = *text == "true";
  }
  if (auto text = lookup(services, "native_histogram_schema")) {
    const auto schema = parse_int(*text, kMinNativeSchema, kMaxNativeSchema);
    if (!schema) {
      error = bad_value("native_histogram_schema", *text, "an integer from -4 to 8");
      return std::nullopt;
    }
    native.schema = *schema;
  }
  if (auto text = lookup(services, "native_histogram_zero_threshold_seconds")) {
    const auto seconds = parse_double(*text);
    if (!seconds || *seconds < kMinZeroThreshold || *seconds > kMaxZeroThreshold) {
      error = bad_value("native_histogram_zero_threshold_seconds", *text,
                        "a number of seconds from 1e-9 to 1");
      return std::nullopt;
    }
    native.zero_threshold = *seconds;
  }
  if (auto text = lookup(services, "native_histogram_max_buckets")) {
    const auto budget = parse_uint(*text, 0, kMaxNativeBudget);
    if (!budget) {
      error = bad_value("native_histogram_max_buckets", *text, "an integer from 0 to 100000");
      return std::nullopt;
    }
    native.max_buckets = *budget;
  }
  for (const FamilyDef& def : catalogue()) {
    if (!has_bucket_setting(def)) continue;
    const std::string key = buckets_key(def);
    if (auto text = lookup(services, key)) {
      auto bounds = parse_buckets(*text);
      if (!bounds) {
        error =
            bad_value(key, *text, "up to 32 increasing upper bounds in seconds, comma-separated");
        return std::nullopt;
      }
      settings.store.buckets[static_cast<size_t>(def.id)] = std::move(*bounds);
    }
  }
  return settings;
}

std::vector<SettingDoc> settings_reference() {
  std::vector<SettingDoc> docs = {
      {"listen", "127.0.0.1:9470",
       "address of the plugin's HTTP listener: IP:PORT or [IPv6]:PORT; port 0 picks a free port"},
      {"web_config_file", "",
       "TLS, client certificates, basic auth, headers and rate limit of the listener: a web "
       "config file as Prometheus exporters use, applied again when it changes (see \"Securing "
       "the endpoint\")"},
      {"log_level", "info", "the plugin's own log level: " + log_level_names(", ")},
      {"slow_query_seconds", "1", "statements at least this slow count in slow_queries_total"},
      {"label_value_max_bytes", "128", "engine-valued label values are cut to this many bytes"},
  };
  const NativeHistogramOptions native;
  docs.push_back(
      {"native_histograms", native.enabled ? "true" : "false",
       "true: " + native_family_names() +
           " also carry native (exponential) buckets, exposed in the protobuf format only, "
           "beside the classic ones. Off by default: Prometheus 2.42 with native histograms "
           "enabled then ingests only the native histogram of these families, no _bucket, _count "
           "or _sum series (see \"Native histograms\")"});
  docs.push_back({"native_histogram_schema", std::to_string(native.schema),
                  "resolution of the native buckets, -4 to 8: each power of two is split into "
                  "2^schema buckets (3: 8 buckets, about 9 % apart); memory per series and "
                  "thread grows with it"});
  docs.push_back({"native_histogram_zero_threshold_seconds", "1e-06",
                  "durations at most this long (seconds, 1e-9 to 1) count in the zero bucket"});
  docs.push_back({"native_histogram_max_buckets", std::to_string(native.max_buckets),
                  "most populated native buckets a series exposes; more halve the resolution "
                  "(schema - 1) until they fit, as client_golang does; 0: no limit"});
  const ListenerLimits listener_defaults;
  for (const ListenerSetting& setting : kListenerSettings) {
    docs.push_back({std::string(setting.key), std::to_string(listener_defaults.*setting.field),
                    std::string(setting.meaning)});
  }
  for (const LabelSpaceDef& space : label_spaces()) {
    if (space.id == LabelSpaceId::none) continue;
    docs.push_back({std::string(space.setting), std::to_string(space.default_bound),
                    "most " + std::string(space.help) + " (values longer than " +
                        std::to_string(space.inline_key_bytes) + " bytes: at most 1 in " +
                        std::to_string(LabelTable::kLongKeyShare) +
                        " of them); others go to \"__other__\""});
  }
  for (const FamilyDef& def : catalogue()) {
    if (!has_bucket_setting(def)) continue;
    std::string defaults;
    for (const double b : def.buckets) {
      char text[32];
      std::snprintf(text, sizeof text, "%g", b);
      defaults += (defaults.empty() ? "" : ",") + std::string(text);
    }
    docs.push_back(
        {buckets_key(def), defaults, "bucket upper bounds (seconds) of " + std::string(def.name)});
  }
  return docs;
}

}  // namespace nq::metrics
