// A scenario for nq-mock-engine (--scenario FILE): the workload as a sequence
// of timed phases, each with its rate, threads and fault profiles, and hot
// reloads of the plugin at chosen points, so that a bug report can ship the
// run that shows the bug (with its seed, the run is repeatable).
//
// Format (TOML), version 1:
//
//   scenario_version = 1              # required; this reader knows 1
//   description = "reload during a lock storm"
//   seed = 42                         # optional; --seed overrides
//
//   [[phase]]
//   name = "warm-up"                  # optional, for the log
//   seconds = 5                       # required, above 0
//   queries_per_second = 200          # optional: else the config's [workload]
//   threads = 2                       # optional: else the config's [workload]
//   faults = ["lock-storm"]           # optional: added to the config's faults
//   reload = true                     # optional: hot-reload the plugin first
//
// Thread-safety: a Scenario is immutable once read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine_config.hpp"

namespace nq::mock {

inline constexpr int64_t kScenarioVersion = 1;

struct ScenarioPhase {
  std::string name;
  double seconds = 0;
  WorkloadConfig workload;
  bool reload = false;  // hot-reload the plugin as the phase starts
};

struct Scenario {
  std::string file;
  std::string description;
  std::optional<uint64_t> seed;
  std::vector<ScenarioPhase> phases;  // at least one
};

// Reads a scenario; each phase starts from `base` (the config's workload).
// On a problem returns nullopt and sets `error` to "FILE:LINE:COLUMN: KEY:
// problem" ("FILE: cannot read the scenario file" when it cannot be read).
std::optional<Scenario> parse_scenario(const std::string& text, const std::string& file,
                                       const WorkloadConfig& base, std::string& error);
std::optional<Scenario> load_scenario(const std::string& file, const WorkloadConfig& base,
                                      std::string& error);

}  // namespace nq::mock
