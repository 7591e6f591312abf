// nq-mock-engine: a simulated NeuroQuantumDB server. It reads a real config
// file, loads the metrics plugin the way the server does (through the host
// runtime), runs a query workload against it (or the phases of a scenario
// file), hot-reloads the plugin on SIGHUP (re-reading the config, so a changed
// path or setting takes effect) and at the scenario's reload points, and stops
// cleanly on SIGINT, SIGTERM, after --duration or after the last phase.
#include <signal.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <string>

#include "engine_activity.hpp"
#include "engine_config.hpp"
#include "engine_services.hpp"
#include "nq/nq_abi_cpp.hpp"
#include "nq/nq_host.h"
#include "scenario.hpp"
#include "workload.hpp"

namespace {

using nq::mock::EngineConfig;
using nq::mock::EngineServices;
using Clock = std::chrono::steady_clock;

constexpr auto kSummaryEvery = std::chrono::seconds(10);

const char kUsage[] =
    "usage: nq-mock-engine --config FILE [--plugin PATH] [--duration SECONDS | --scenario FILE]\n"
    "                      [--seed N] [--fault NAME[,NAME...]]...\n"
    "  --config FILE       engine config (TOML): [engine], [plugins.metrics], [workload]\n"
    "  --plugin PATH       load this plugin instead of plugins.metrics.path\n"
    "  --duration SECONDS  stop after this long (default: run until SIGINT/SIGTERM)\n"
    "  --scenario FILE     run the timed phases of a scenario file (rates, threads, faults,\n"
    "                      plugin reloads; docs/TESTING-HOOKS.md), then stop\n"
    "  --seed N            seed of the random workload (default: random, logged)\n"
    "  --fault NAME        add a fault profile to those of [workload] faults:\n";

struct Options {
  std::string config;
  std::optional<std::string> plugin;
  std::optional<double> duration_s;
  std::optional<std::string> scenario;
  std::optional<uint64_t> seed;
  nq::mock::FaultSet faults;
};

template <class T>
bool parse_number(const char* text, T& out) {
  const char* end = text + std::strlen(text);
  const auto [ptr, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && ptr == end;
}

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--help" || arg == "-h") return std::nullopt;
    if (value == nullptr) {
      std::fprintf(stderr, "nq-mock-engine: %s needs a value\n", arg.c_str());
      return std::nullopt;
    }
    ++i;
    if (arg == "--config") {
      o.config = value;
    } else if (arg == "--plugin") {
      o.plugin = value;
    } else if (arg == "--duration") {
      double d = 0;
      if (!parse_number(value, d) || d < 0) {
        std::fprintf(stderr, "nq-mock-engine: --duration: '%s' is not a number of seconds\n",
                     value);
        return std::nullopt;
      }
      o.duration_s = d;
    } else if (arg == "--scenario") {
      o.scenario = value;
    } else if (arg == "--seed") {
      uint64_t s = 0;
      if (!parse_number(value, s)) {
        std::fprintf(stderr, "nq-mock-engine: --seed: '%s' is not an unsigned integer\n", value);
        return std::nullopt;
      }
      o.seed = s;
    } else if (arg == "--fault") {
      std::string_view names = value;
      while (!names.empty()) {
        const std::string_view name = names.substr(0, names.find(','));
        names.remove_prefix(std::min(names.size(), name.size() + 1));
        const auto fault = nq::mock::fault_by_name(name);
        if (!fault) {
          std::fprintf(stderr, "nq-mock-engine: --fault: unknown fault profile '%.*s'\n",
                       static_cast<int>(name.size()), name.data());
          return std::nullopt;
        }
        o.faults.set(static_cast<size_t>(*fault));
      }
    } else {
      std::fprintf(stderr, "nq-mock-engine: unknown option %s\n", arg.c_str());
      return std::nullopt;
    }
  }
  if (o.config.empty()) {
    std::fprintf(stderr, "nq-mock-engine: --config is required\n");
    return std::nullopt;
  }
  if (o.scenario && o.duration_s) {
    std::fprintf(stderr,
                 "nq-mock-engine: --duration and --scenario exclude each other (a "
                 "scenario lasts as long as its phases)\n");
    return std::nullopt;
  }
  return o;
}

std::string summary(const std::array<uint64_t, NQ_QUERY_TYPE_COUNT>& issued) {
  std::string out = "queries issued:";
  for (size_t t = 0; t < issued.size(); ++t)
    out += " " + std::string(nq::kQueryTypeNames[t]) + "=" + std::to_string(issued[t]);
  return out;
}

std::string format_rate(double queries_per_second) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", queries_per_second);
  return text;
}

std::string describe_plugin(nq_host* host) {
  nq_host_plugin_info info{};
  info.struct_size = sizeof info;
  if (nq_host_plugin(host, &info) != NQ_OK) return "no plugin";
  return "plugin " + std::string(nq::to_string_view(info.name)) + " " +
         std::string(nq::to_string_view(info.version)) + " (build " +
         std::string(nq::to_string_view(info.build_id)) + ")";
}

// Loads the plugin; on failure logs why and lets the engine run without it.
bool load_plugin(nq_host* host, const std::string& path, EngineServices& services) {
  char err[1024] = "";
  const nq_status status = nq_host_load(host, path.c_str(), err, sizeof err);
  if (status != NQ_OK) {
    services.log(NQ_LOG_ERROR, std::string("metrics plugin not loaded (") + nq_status_name(status) +
                                   "): " + err + "; running without it");
    return false;
  }
  services.log(NQ_LOG_INFO, "loaded " + describe_plugin(host) + " from " + path);
  return true;
}

// On SIGHUP or a scenario's reload point (`why`, for the log): re-reads the
// config and hot-reloads the plugin from its (possibly new) path with its
// (possibly new) settings. A bad config changes nothing.
void reload_plugin(nq_host* host, const Options& options, EngineServices& services,
                   const std::string& why) {
  std::string error;
  const auto config = nq::mock::load_config(options.config, error);
  if (!config) {
    services.log(NQ_LOG_ERROR, why + ": config not reloaded, keeping the running plugin: " + error);
    return;
  }
  if (!config->plugin && !options.plugin) {
    services.log(NQ_LOG_WARN,
                 why + ": no [plugins.metrics] in the config; keeping " + describe_plugin(host));
    return;
  }
  const std::string path = options.plugin ? *options.plugin : config->plugin->path;
  services.replace_settings(config->plugin ? config->plugin->settings
                                           : std::map<std::string, std::string>{});
  const std::string before = describe_plugin(host);
  char err[1024] = "";
  const nq_status status = nq_host_reload(host, path.c_str(), err, sizeof err);
  if (status != NQ_OK) {
    services.log(NQ_LOG_ERROR, why + ": reload from " + path + " failed (" +
                                   nq_status_name(status) + "): " + err);
    return;
  }
  services.log(NQ_LOG_INFO,
               why + ": reloaded " + before + " -> " + describe_plugin(host) + " from " + path);
}

}  // namespace

std::string describe_workload(const nq::mock::WorkloadConfig& w) {
  return std::to_string(w.threads) + " threads, " + format_rate(w.queries_per_second) +
         " queries/s, faults: " + nq::mock::describe(w.faults);
}

// Runs `workload` (with the background engine activity its faults ask for)
// until `until`, or until a signal when there is none; SIGHUP hot-reloads the
// plugin meanwhile. False when SIGINT or SIGTERM stopped it.
bool run_workload(nq_host* host, const nq::mock::WorkloadConfig& config, uint64_t seed,
                  std::optional<Clock::time_point> until, const sigset_t& signals,
                  const Options& options, EngineServices& services, nq::mock::TraceLog* trace_log) {
  nq::mock::Workload workload(config, host, seed, trace_log);
  nq::mock::BackgroundActivity background(host, seed, config.faults);
  workload.start();
  background.start();
  bool interrupted = false;
  auto next_summary = Clock::now() + kSummaryEvery;
  for (;;) {
    const auto now = Clock::now();
    if (until && now >= *until) break;
    const timespec tick{0, 100'000'000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGHUP) {
      reload_plugin(host, options, services, "SIGHUP");
      continue;
    }
    if (sig == SIGINT || sig == SIGTERM) {
      services.log(NQ_LOG_INFO, std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                                    ", stopping");
      interrupted = true;
      break;
    }
    if (now >= next_summary) {
      services.log(NQ_LOG_INFO, summary(workload.issued()));
      next_summary += kSummaryEvery;
    }
  }
  background.stop();
  workload.stop();
  services.log(NQ_LOG_INFO, summary(workload.issued()));
  return !interrupted;
}

int main(int argc, char** argv) {
  const auto options = parse_args(argc, argv);
  if (!options) {
    std::fputs(kUsage, stderr);
    std::fputs(nq::mock::fault_profiles_help().c_str(), stderr);
    std::fputs("SIGHUP re-reads the config and hot-reloads the plugin while the workload runs.\n",
               stderr);
    return 2;
  }
  std::string error;
  auto loaded = nq::mock::load_config(options->config, error);
  if (!loaded) {
    std::fprintf(stderr, "nq-mock-engine: config error: %s\n", error.c_str());
    return 2;
  }
  EngineConfig config = std::move(*loaded);
  if (options->plugin) {
    if (!config.plugin) config.plugin.emplace();
    config.plugin->path = *options->plugin;
  }
  config.workload.faults |= options->faults;
  std::optional<nq::mock::Scenario> scenario;
  if (options->scenario) {
    scenario = nq::mock::load_scenario(*options->scenario, config.workload, error);
    if (!scenario) {
      std::fprintf(stderr, "nq-mock-engine: scenario error: %s\n", error.c_str());
      return 2;
    }
  }

  nq::mock::TraceLog trace_log;
  nq::mock::TraceLog* trace_log_or_none = nullptr;
  if (!config.workload.trace_log.empty()) {
    if (!trace_log.open(config.workload.trace_log, error)) {
      std::fprintf(stderr, "nq-mock-engine: %s\n", error.c_str());
      return 2;
    }
    trace_log_or_none = &trace_log;
  }

  // Signals are taken by sigtimedwait in this thread only; workers inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  EngineServices services(
      config.name, config.log_level,
      config.plugin ? config.plugin->settings : std::map<std::string, std::string>{});
  const uint64_t seed =
      options->seed.value_or(scenario && scenario->seed ? *scenario->seed : std::random_device{}());
  if (scenario) {
    services.log(NQ_LOG_INFO,
                 "scenario " + scenario->file + " (" + std::to_string(scenario->phases.size()) +
                     " phases)" +
                     (scenario->description.empty() ? "" : ": " + scenario->description));
  }
  services.log(NQ_LOG_INFO, "starting with config " + config.file + ": seed " +
                                std::to_string(seed) + ", " + describe_workload(config.workload));

  nq_host_options host_options{};
  host_options.struct_size = sizeof host_options;
  host_options.thread_slots = config.thread_slots;
  host_options.services = &services.table();
  nq_host* host = nq_host_create(&host_options);
  if (host == nullptr) {
    services.log(NQ_LOG_ERROR, "cannot create the plugin host");
    return 1;
  }
  if (config.plugin) {
    load_plugin(host, config.plugin->path, services);
  } else {
    services.log(NQ_LOG_INFO, "no [plugins.metrics] in the config: running without metrics");
  }

  nq::mock::announce_indexes(host);
  if (scenario) {
    for (size_t i = 0; i < scenario->phases.size(); ++i) {
      const nq::mock::ScenarioPhase& phase = scenario->phases[i];
      services.log(NQ_LOG_INFO, "scenario phase " + std::to_string(i + 1) + "/" +
                                    std::to_string(scenario->phases.size()) + " '" + phase.name +
                                    "': " + describe_workload(phase.workload) + " for " +
                                    format_rate(phase.seconds) + " s" +
                                    (phase.reload ? ", reloading the plugin first" : ""));
      if (phase.reload) reload_plugin(host, *options, services, "scenario");
      const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(phase.seconds));
      if (!run_workload(host, phase.workload, seed + i, until, signals, *options, services,
                        trace_log_or_none))
        break;
    }
    services.log(NQ_LOG_INFO, "scenario " + scenario->file + " done");
  } else {
    std::optional<Clock::time_point> until;
    if (options->duration_s) {
      until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(*options->duration_s));
    }
    if (run_workload(host, config.workload, seed, until, signals, *options, services,
                     trace_log_or_none) &&
        until) {
      services.log(NQ_LOG_INFO, "duration reached, stopping");
    }
  }
  int exit_code = 0;
  const nq_status unloaded = nq_host_unload(host);
  if (unloaded != NQ_OK && unloaded != NQ_ERR_NOT_LOADED) {
    services.log(NQ_LOG_ERROR, std::string("plugin unload failed: ") + nq_status_name(unloaded));
    exit_code = 1;
  }
  nq_host_destroy(host);
  services.log(NQ_LOG_INFO, "stopped");
  return exit_code;
}
