// An in-process stand-in for the engine side of the ABI, for tests: settings
// served through config_lookup, log lines captured, a fake clock.
//
// Thread-safety: the services may be called from any thread (log lines are
// kept under a mutex). Settings must not change while a plugin is loaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nq/nq_host.h"

namespace nq::testing {

class TestEngine {
 public:
  TestEngine();
  TestEngine(const TestEngine&) = delete;
  TestEngine& operator=(const TestEngine&) = delete;

  std::map<std::string, std::string> settings;  // the plugin's settings
  const nq_engine_services& services() const { return services_; }

  std::vector<std::string> log_lines() const;
  // Waits until a log line contains `needle`; returns that line.
  std::optional<std::string> wait_for_log(const std::string& needle,
                                          std::chrono::milliseconds timeout) const;
  // A host runtime over these services (nq_host_destroy it); thread_slots 0 = default.
  nq_host* create_host(uint32_t thread_slots = 0) const;

  // The port of the "serving http://HOST:PORT/metrics" line of the plugin.
  uint16_t metrics_port(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  static void log(void* self, nq_log_level level, nq_str message);
  static uint64_t monotonic_ns(void* self);
  static int64_t config_lookup(void* self, nq_str key, char* value, size_t value_cap);

  nq_engine_services services_{};
  mutable std::mutex mutex_;
  static constexpr size_t kKeptLogLines = 4096;
  std::vector<std::string> lines_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t free_loopback_port();

}  // namespace nq::testing
