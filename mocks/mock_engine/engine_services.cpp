#include "engine_services.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "nq/nq_abi_cpp.hpp"

namespace nq::mock {
EngineServices::EngineServices(std::string engine_name, nq_log_level min_level,
                               std::map<std::string, std::string> plugin_settings)
    : name_(std::move(engine_name)), min_level_(min_level), settings_(std::move(plugin_settings)) {
  table_.struct_size = sizeof table_;
  table_.abi_version = NQ_ABI_VERSION;
  table_.engine_context = this;
  table_.log = &EngineServices::plugin_log;
  table_.monotonic_ns = &EngineServices::monotonic_ns;
  table_.config_lookup = &EngineServices::config_lookup;
}

void EngineServices::write(nq_log_level level, std::string_view source, std::string_view message) {
  if (level < min_level_) return;
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::lock_guard lock(log_mutex_);
  const std::string_view level_name = nq::log_level_name(level);
  std::fprintf(stderr, "%s.%03dZ %-5.*s [%s%s%.*s] %.*s\n", stamp, static_cast<int>(millis),
               static_cast<int>(level_name.size()), level_name.data(), name_.c_str(),
               source.empty() ? "" : "/", static_cast<int>(source.size()), source.data(),
               static_cast<int>(message.size()), message.data());
}

void EngineServices::plugin_log(void* self, nq_log_level level, nq_str message) {
  static_cast<EngineServices*>(self)->write(level, "plugin", nq::to_string_view(message));
}

uint64_t EngineServices::monotonic_ns(void*) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void EngineServices::replace_settings(std::map<std::string, std::string> plugin_settings) {
  std::lock_guard lock(settings_mutex_);
  settings_ = std::move(plugin_settings);
}

int64_t EngineServices::config_lookup(void* self, nq_str key, char* value, size_t value_cap) {
  auto* services = static_cast<EngineServices*>(self);
  std::lock_guard lock(services->settings_mutex_);
  const auto& settings = services->settings_;
  const auto it = settings.find(std::string(nq::to_string_view(key)));
  if (it == settings.end()) return -1;
  if (value != nullptr)
    std::memcpy(value, it->second.data(), std::min(value_cap, it->second.size()));
  return static_cast<int64_t>(it->second.size());
}

}  // namespace nq::mock
