// The services the mock engine gives a plugin (nq_engine_services): a
// timestamped log on stderr, the monotonic clock, and lookups in the plugin's
// settings from the config file.
//
// Thread-safety: every service may be called from any thread; log lines are
// written whole under a mutex, settings are read and replaced under another.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "nq/nq_plugin_abi.h"

namespace nq::mock {

class EngineServices {
 public:
  EngineServices(std::string engine_name, nq_log_level min_level,
                 std::map<std::string, std::string> plugin_settings);
  EngineServices(const EngineServices&) = delete;
  EngineServices& operator=(const EngineServices&) = delete;

  const nq_engine_services& table() const { return table_; }

  // The engine's own log lines.
  void log(nq_log_level level, std::string_view message) { write(level, "", message); }

  // New plugin settings (config reloaded on SIGHUP), seen by the next create().
  void replace_settings(std::map<std::string, std::string> plugin_settings);

 private:
  void write(nq_log_level level, std::string_view source, std::string_view message);
  static void plugin_log(void* self, nq_log_level level, nq_str message);
  static uint64_t monotonic_ns(void* self);
  static int64_t config_lookup(void* self, nq_str key, char* value, size_t value_cap);

  const std::string name_;
  const nq_log_level min_level_;
  std::map<std::string, std::string> settings_;
  nq_engine_services table_{};
  std::mutex log_mutex_;
  std::mutex settings_mutex_;
};

}  // namespace nq::mock
