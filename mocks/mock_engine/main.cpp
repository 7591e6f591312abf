// nq-mock-engine: a simulated NeuroQuantumDB server. It reads a real config
// file, loads the metrics plugin the way the server does (through the host
// runtime), runs a query workload against it, hot-reloads the plugin on
// SIGHUP (re-reading the config, so a changed path or setting takes effect)
// and stops cleanly on SIGINT, SIGTERM or after --duration.
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
#include "nq/nq_host.h"
#include "workload.hpp"

namespace {

using nq::mock::EngineConfig;
using nq::mock::EngineServices;
using Clock = std::chrono::steady_clock;

constexpr auto kSummaryEvery = std::chrono::seconds(10);

const char kUsage[] =
    "usage: nq-mock-engine --config FILE [--plugin PATH] [--duration SECONDS] [--seed N]\n"
    "                      [--fault NAME[,NAME...]]...\n"
    "  --config FILE       engine config (TOML): [engine], [plugins.metrics], [workload]\n"
    "  --plugin PATH       load this plugin instead of plugins.metrics.path\n"
    "  --duration SECONDS  stop after this long (default: run until SIGINT/SIGTERM)\n"
    "  --seed N            seed of the random workload (default: random, logged)\n"
    "  --fault NAME        add a fault profile to those of [workload] faults:\n";

struct Options {
  std::string config;
  std::optional<std::string> plugin;
  std::optional<double> duration_s;
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
  return o;
}

std::string summary(const std::array<uint64_t, NQ_QUERY_TYPE_COUNT>& issued) {
  static const char* const kNames[] = {"select", "insert", "update", "delete", "ddl", "other"};
  std::string out = "queries issued:";
  for (size_t t = 0; t < issued.size(); ++t)
    out += " " + std::string(kNames[t]) + "=" + std::to_string(issued[t]);
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
  return "plugin " + std::string(info.name.data, info.name.len) + " " +
         std::string(info.version.data, info.version.len) + " (build " +
         std::string(info.build_id.data, info.build_id.len) + ")";
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

// SIGHUP: re-reads the config and hot-reloads the plugin from its (possibly
// new) path with its (possibly new) settings. A bad config changes nothing.
void reload_plugin(nq_host* host, const Options& options, EngineServices& services) {
  EngineConfig config;
  try {
    config = nq::mock::load_config(options.config);
  } catch (const nq::mock::ConfigError& e) {
    services.log(NQ_LOG_ERROR, std::string("SIGHUP: config not reloaded, keeping the running "
                                           "plugin: ") +
                                   e.what());
    return;
  }
  if (!config.plugin && !options.plugin) {
    services.log(NQ_LOG_WARN,
                 "SIGHUP: no [plugins.metrics] in the config; keeping " + describe_plugin(host));
    return;
  }
  const std::string path = options.plugin ? *options.plugin : config.plugin->path;
  services.replace_settings(config.plugin ? config.plugin->settings
                                          : std::map<std::string, std::string>{});
  const std::string before = describe_plugin(host);
  char err[1024] = "";
  const nq_status status = nq_host_reload(host, path.c_str(), err, sizeof err);
  if (status != NQ_OK) {
    services.log(NQ_LOG_ERROR, std::string("SIGHUP: reload from ") + path + " failed (" +
                                   nq_status_name(status) + "): " + err);
    return;
  }
  services.log(NQ_LOG_INFO,
               "SIGHUP: reloaded " + before + " -> " + describe_plugin(host) + " from " + path);
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_args(argc, argv);
  if (!options) {
    std::fputs(kUsage, stderr);
    std::fputs(nq::mock::fault_profiles_help().c_str(), stderr);
    std::fputs("SIGHUP re-reads the config and hot-reloads the plugin while the workload runs.\n",
               stderr);
    return 2;
  }
  EngineConfig config;
  try {
    config = nq::mock::load_config(options->config);
  } catch (const nq::mock::ConfigError& e) {
    std::fprintf(stderr, "nq-mock-engine: config error: %s\n", e.what());
    return 2;
  }
  if (options->plugin) {
    if (!config.plugin) config.plugin.emplace();
    config.plugin->path = *options->plugin;
  }
  config.workload.faults |= options->faults;

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
  const uint64_t seed = options->seed.value_or(std::random_device{}());
  services.log(NQ_LOG_INFO, "starting with config " + config.file + ": " +
                                std::to_string(config.workload.threads) + " threads, " +
                                format_rate(config.workload.queries_per_second) +
                                " queries/s, seed " + std::to_string(seed) +
                                ", faults: " + nq::mock::describe(config.workload.faults));

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

  int exit_code = 0;
  {
    nq::mock::announce_indexes(host);
    nq::mock::Workload workload(config.workload, host, seed);
    nq::mock::BackgroundActivity background(host, seed, config.workload.faults);
    workload.start();
    background.start();
    const auto started = Clock::now();
    auto next_summary = started + kSummaryEvery;
    for (;;) {
      const auto now = Clock::now();
      if (options->duration_s &&
          now - started >= std::chrono::duration<double>(*options->duration_s)) {
        services.log(NQ_LOG_INFO, "duration reached, stopping");
        break;
      }
      const timespec tick{0, 100'000'000};
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGHUP) {
        reload_plugin(host, *options, services);
        continue;
      }
      if (sig == SIGINT || sig == SIGTERM) {
        services.log(NQ_LOG_INFO, std::string("received ") +
                                      (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
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
  }
  const nq_status unloaded = nq_host_unload(host);
  if (unloaded != NQ_OK && unloaded != NQ_ERR_NOT_LOADED) {
    services.log(NQ_LOG_ERROR, std::string("plugin unload failed: ") + nq_status_name(unloaded));
    exit_code = 1;
  }
  nq_host_destroy(host);
  services.log(NQ_LOG_INFO, "stopped");
  return exit_code;
}
