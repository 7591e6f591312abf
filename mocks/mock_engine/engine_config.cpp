#include "engine_config.hpp"

#include <filesystem>
#include <sstream>
#include <string_view>

#include "nq/nq_abi_cpp.hpp"
#include "toml_reader.hpp"

namespace nq::mock {
namespace {

// Every key the file may hold. [plugins.metrics.settings] belongs to the plugin
// and is passed through as it is.
constexpr KeySpec kKnownKeys[] = {
    {"engine", Kind::table},
    {"engine.name", Kind::string},
    {"engine.log_level", Kind::string},
    {"engine.thread_slots", Kind::integer},
    {"plugins", Kind::table},
    {"plugins.metrics", Kind::table},
    {"plugins.metrics.path", Kind::string},
    {"plugins.metrics.settings", Kind::settings_table},
    {"workload", Kind::table},
    {"workload.threads", Kind::integer},
    {"workload.queries_per_second", Kind::number},
    {"workload.mix", Kind::table},
    {"workload.mix.select", Kind::integer},
    {"workload.mix.insert", Kind::integer},
    {"workload.mix.update", Kind::integer},
    {"workload.mix.delete", Kind::integer},
    {"workload.mix.ddl", Kind::integer},
    {"workload.mix.other", Kind::integer},
    {"workload.faults", Kind::string_array},
    {"workload.databases", Kind::integer},
    {"workload.users", Kind::integer},
    {"workload.applications", Kind::integer},
    {"workload.traced_share", Kind::number},
    {"workload.trace_log", Kind::string},
};

using nq::kLogLevelNames;
using nq::kQueryTypeNames;

// Text form of a settings value: strings verbatim, arrays comma-separated.
// A path of the config file, relative to the file's directory.
std::string beside_config(const std::string& config_file, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(config_file).parent_path() / p;
  return p.lexically_normal().string();
}

std::string setting_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* a = node.as_array()) {
    std::string out;
    for (const toml::node& item : *a) out += (out.empty() ? "" : ",") + setting_text(item);
    return out;
  }
  std::ostringstream out;
  node.visit([&out](const auto& value) { out << value; });
  return out.str();
}

void flatten_settings(const toml::table& table, const std::string& prefix,
                      std::map<std::string, std::string>& out) {
  for (const auto& [k, node] : table) {
    const std::string key = prefix + std::string(k.str());
    if (const auto* sub = node.as_table()) {
      flatten_settings(*sub, key + ".", out);
    } else {
      out[key] = setting_text(node);
    }
  }
}

bool read_engine(const Reader& r, const toml::table& root, EngineConfig& config,
                 std::string& error) {
  const toml::node_view engine = root["engine"];
  if (const auto* name = engine["name"].as_string()) config.name = name->get();
  if (const auto* level = engine["log_level"].node()) {
    const std::string text = level->as_string()->get();
    nq_log_level index = 0;
    for (; index < kLogLevelNames.size() && kLogLevelNames[index] != text; ++index) {
    }
    if (index == kLogLevelNames.size()) {
      return r.fail(level->source(), "engine.log_level",
                    "unknown level '" + text + "' (trace, debug, info, warn or error)", error);
    }
    config.log_level = index;
  }
  if (const auto* slots = engine["thread_slots"].node()) {
    const auto count = r.integer_in(*slots, "engine.thread_slots", 1, 256, error);
    if (!count) return false;
    config.thread_slots = *count;
  }
  return true;
}

bool read_plugin(const Reader& r, const toml::table& root, EngineConfig& config,
                 std::string& error) {
  const auto* metrics = root["plugins"]["metrics"].as_table();
  if (metrics == nullptr) return true;
  PluginConfig plugin;
  const auto* path = (*metrics)["path"].as_string();
  if (path == nullptr || path->get().empty()) {
    return r.fail(metrics->source(), "plugins.metrics.path",
                  "missing: the path of libnq_metrics.so", error);
  }
  plugin.path = beside_config(r.file(), path->get());
  if (const auto* settings = (*metrics)["settings"].as_table()) {
    flatten_settings(*settings, "", plugin.settings);
  }
  config.plugin = std::move(plugin);
  return true;
}

bool read_workload(const Reader& r, const toml::table& root, WorkloadConfig& workload,
                   std::string& error) {
  const toml::node_view w = root["workload"];
  if (const auto* threads = w["threads"].node()) {
    const auto count = r.integer_in(*threads, "workload.threads", 1, 256, error);
    if (!count) return false;
    workload.threads = *count;
  }
  if (const auto* qps = w["queries_per_second"].node()) {
    const auto rate = r.number_in(*qps, "workload.queries_per_second", 0, 10'000'000, error);
    if (!rate) return false;
    workload.queries_per_second = *rate;
  }
  if (const auto* mix = w["mix"].as_table()) {
    uint32_t total = 0;
    for (size_t t = 0; t < NQ_QUERY_TYPE_COUNT; ++t) {
      workload.mix[t] = 0;
      if (const auto* weight = mix->get(kQueryTypeNames[t])) {
        const auto value = r.integer_in(*weight, "workload.mix." + std::string(kQueryTypeNames[t]),
                                        0, 1'000'000, error);
        if (!value) return false;
        workload.mix[t] = *value;
      }
      total += workload.mix[t];
    }
    if (total == 0) {
      return r.fail(mix->source(), "workload.mix", "at least one weight must be above 0", error);
    }
  }
  for (auto [key, count] :
       {std::pair{"databases", &workload.databases}, std::pair{"users", &workload.users},
        std::pair{"applications", &workload.applications}}) {
    if (const auto* node = w[key].node()) {
      const auto value = r.integer_in(*node, "workload." + std::string(key), 0, 100'000, error);
      if (!value) return false;
      *count = *value;
    }
  }
  if (const auto* share = w["traced_share"].node()) {
    const auto value = r.number_in(*share, "workload.traced_share", 0, 1, error);
    if (!value) return false;
    workload.traced_share = *value;
  }
  if (const auto* log = w["trace_log"].as_string()) {
    workload.trace_log = beside_config(r.file(), log->get());
  }
  if (const auto* faults = w["faults"].as_array()) {
    const auto set = r.faults(*faults, "workload.faults", error);
    if (!set) return false;
    workload.faults = *set;
  }
  return true;
}

}  // namespace

std::optional<EngineConfig> parse_config(const std::string& text, const std::string& file,
                                         std::string& error) {
  const Reader reader(file, kKnownKeys);
  const auto root = reader.parse(text, error);
  if (!root) return std::nullopt;
  EngineConfig config;
  config.file = file;
  if (!read_engine(reader, *root, config, error) || !read_plugin(reader, *root, config, error) ||
      !read_workload(reader, *root, config.workload, error)) {
    return std::nullopt;
  }
  return config;
}

std::optional<EngineConfig> load_config(const std::string& file, std::string& error) {
  const auto text = read_file(file, "config file", error);
  if (!text) return std::nullopt;
  return parse_config(*text, file, error);
}

}  // namespace nq::mock
