// The mock engine's config file (TOML): what a real server's config would say
// about the metrics plugin, plus the simulated workload.
//
// Thread-safety: an EngineConfig is immutable once load_config() returns and
// may be read from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "fault_profiles.hpp"
#include "nq/nq_plugin_abi.h"

namespace nq::mock {

struct PluginConfig {
  std::string path;  // absolute, or relative to the config file's directory resolved
  // [plugins.metrics.settings], flattened: dotted keys, values as text
  // (strings verbatim, numbers and booleans as written, arrays comma-separated).
  std::map<std::string, std::string> settings;
};

struct WorkloadConfig {
  uint32_t threads = 4;
  double queries_per_second = 200;  // over all threads; 0 = as fast as possible
  std::array<uint32_t, NQ_QUERY_TYPE_COUNT> mix = {70, 15, 10, 4, 1, 0};  // by nq_query_type
  FaultSet faults;  // [workload] faults = ["lock-storm", ...]; none by default
  // Who runs the statements (ABI 1.2): a statement picks one of `databases`
  // databases, `users` users and `applications` applications, the first ones
  // busiest; 0 sends none (as an engine of ABI 1.1).
  uint32_t databases = 3;
  uint32_t users = 4;
  uint32_t applications = 3;
  double traced_share = 0.1;  // statements sent with a random W3C trace and span id
  // A file each traced statement is appended to (trace_log.hpp); empty: none.
  std::string trace_log;
};

struct EngineConfig {
  std::string file;
  std::string name = "nq-mock-engine";
  nq_log_level log_level = NQ_LOG_INFO;
  uint32_t thread_slots = 64;
  std::optional<PluginConfig> plugin;  // [plugins.metrics]; absent = no plugin
  WorkloadConfig workload;
};

// Reads and validates the file; on a problem returns nullopt and sets `error`
// to "FILE:LINE:COLUMN: KEY: problem" ("FILE: cannot read the config file"
// when it cannot be read).
std::optional<EngineConfig> load_config(const std::string& file, std::string& error);

// Same, from text; `file` is used in messages and to resolve relative paths.
std::optional<EngineConfig> parse_config(const std::string& text, const std::string& file,
                                         std::string& error);

}  // namespace nq::mock
