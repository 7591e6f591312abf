// libFuzzer target: the plugin's settings and its web config. The input is
// split at the first NUL byte: before it, "key=value" lines served through
// the engine's config_lookup to read_settings(); after it, the text of a web
// config file. Each must give settings or a message, never crash.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>

#include "config/plugin_settings.hpp"
#include "http/web_config.hpp"

namespace {

using Values = std::map<std::string, std::string, std::less<>>;

int64_t lookup(void* self, nq_str key, char* value, size_t value_cap) {
  const auto& values = *static_cast<const Values*>(self);
  const auto it = values.find(std::string_view(key.data, key.len));
  if (it == values.end()) return -1;
  if (it->second.size() <= value_cap) std::memcpy(value, it->second.data(), it->second.size());
  return static_cast<int64_t>(it->second.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = std::min(input.find('\0'), input.size());
  Values values;
  std::string_view lines = input.substr(0, split);
  while (!lines.empty()) {
    const size_t end = std::min(lines.find('\n'), lines.size());
    const std::string_view line = lines.substr(0, end);
    const size_t eq = line.find('=');
    // Not the web config file: its text is fuzzed below, not a path on disk.
    if (eq != std::string_view::npos && line.substr(0, eq) != "web_config_file") {
      values[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    lines.remove_prefix(std::min(end + 1, lines.size()));
  }
  nq_engine_services services{};
  services.struct_size = sizeof services;
  services.engine_context = &values;
  services.config_lookup = lookup;
  std::string error;
  if (!nq::metrics::read_settings(services, error) && error.empty()) std::abort();

  error.clear();
  const std::string_view web = split < input.size() ? input.substr(split + 1) : std::string_view();
  if (!nq::metrics::parse_web_config(web, "/etc/nq", error) && error.empty()) std::abort();
  return 0;
}
