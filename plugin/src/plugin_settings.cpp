#include "plugin_settings.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>

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

constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};

}  // namespace

std::string ListenAddress::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

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
  if (auto level = lookup(services, "log_level")) {
    if (std::find(kLogLevels.begin(), kLogLevels.end(), *level) == kLogLevels.end()) {
      error = "setting 'log_level' = '" + *level +
              "' is not a level: expected trace, debug, info, warn, error or off";
      return std::nullopt;
    }
    settings.log_level = *level;
  }
  return settings;
}

}  // namespace nq::metrics
