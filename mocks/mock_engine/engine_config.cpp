#include "engine_config.hpp"

#include <toml++/toml.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

namespace nq::mock {
namespace {

enum class Kind { table, settings_table, string, integer, number, string_array };

struct KeySpec {
  std::string_view path;
  Kind kind;
};

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
};

// Order of nq_query_type.
constexpr std::string_view kQueryTypes[NQ_QUERY_TYPE_COUNT] = {"select", "insert", "update",
                                                               "delete", "ddl",    "other"};
constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::table:
    case Kind::settings_table:
      return "a table";
    case Kind::string:
      return "a string";
    case Kind::integer:
      return "an integer";
    case Kind::number:
      return "a number";
    case Kind::string_array:
      return "an array of strings";
  }
  return "?";
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

bool has_kind(const toml::node& node, Kind kind) {
  switch (kind) {
    case Kind::table:
    case Kind::settings_table:
      return node.is_table();
    case Kind::string:
      return node.is_string();
    case Kind::integer:
      return node.is_integer();
    case Kind::number:
      return node.is_integer() || node.is_floating_point();
    case Kind::string_array:
      return node.is_array() && node.as_array()->is_homogeneous(toml::node_type::string);
  }
  return false;
}

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const toml::source_region& where, std::string_view key,
                         const std::string& problem) const {
    std::ostringstream out;
    out << file_ << ':' << where.begin.line << ':' << where.begin.column << ": ";
    if (!key.empty()) out << key << ": ";
    out << problem;
    throw ConfigError(out.str());
  }

  // Rejects unknown keys and wrong types anywhere in the document.
  void check_keys(const toml::table& table, const std::string& prefix) const {
    for (const auto& [k, node] : table) {
      const std::string path =
          prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      const KeySpec* spec = nullptr;
      for (const KeySpec& s : kKnownKeys) {
        if (s.path == path) spec = &s;
      }
      if (spec == nullptr) fail(k.source(), path, "unknown key");
      if (!has_kind(node, spec->kind)) {
        fail(node.source(), path,
             "expected " + std::string(kind_name(spec->kind)) + ", got " +
                 std::string(type_name(node)));
      }
      if (spec->kind == Kind::table) check_keys(*node.as_table(), path);
    }
  }

  uint32_t integer_in(const toml::node& node, std::string_view key, int64_t lo, int64_t hi) const {
    const int64_t v = node.as_integer()->get();
    if (v < lo || v > hi) {
      fail(node.source(), key,
           "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
               std::to_string(v));
    }
    return static_cast<uint32_t>(v);
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// Text form of a settings value: strings verbatim, arrays comma-separated.
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

void read_engine(const Reader& r, const toml::table& root, EngineConfig& config) {
  const toml::node_view engine = root["engine"];
  if (const auto* name = engine["name"].as_string()) config.name = name->get();
  if (const auto* level = engine["log_level"].node()) {
    const std::string text = level->as_string()->get();
    nq_log_level index = 0;
    for (; index < std::size(kLogLevels) && kLogLevels[index] != text; ++index) {
    }
    if (index == std::size(kLogLevels)) {
      r.fail(level->source(), "engine.log_level",
             "unknown level '" + text + "' (trace, debug, info, warn or error)");
    }
    config.log_level = index;
  }
  if (const auto* slots = engine["thread_slots"].node()) {
    config.thread_slots = r.integer_in(*slots, "engine.thread_slots", 1, 256);
  }
}

void read_plugin(const Reader& r, const toml::table& root, EngineConfig& config) {
  const auto* metrics = root["plugins"]["metrics"].as_table();
  if (metrics == nullptr) return;
  PluginConfig plugin;
  const auto* path = (*metrics)["path"].as_string();
  if (path == nullptr || path->get().empty()) {
    r.fail(metrics->source(), "plugins.metrics.path", "missing: the path of libnq_metrics.so");
  }
  std::filesystem::path p(path->get());
  if (p.is_relative()) p = std::filesystem::path(r.file()).parent_path() / p;
  plugin.path = p.lexically_normal().string();
  if (const auto* settings = (*metrics)["settings"].as_table()) {
    flatten_settings(*settings, "", plugin.settings);
  }
  config.plugin = std::move(plugin);
}

void read_workload(const Reader& r, const toml::table& root, WorkloadConfig& workload) {
  const toml::node_view w = root["workload"];
  if (const auto* threads = w["threads"].node()) {
    workload.threads = r.integer_in(*threads, "workload.threads", 1, 256);
  }
  if (const auto* qps = w["queries_per_second"].node()) {
    const double v = qps->value<double>().value_or(-1);
    if (v < 0 || v > 10'000'000) {
      r.fail(qps->source(), "workload.queries_per_second", "must be between 0 and 10000000");
    }
    workload.queries_per_second = v;
  }
  if (const auto* mix = w["mix"].as_table()) {
    uint32_t total = 0;
    for (size_t t = 0; t < NQ_QUERY_TYPE_COUNT; ++t) {
      const auto* weight = mix->get(kQueryTypes[t]);
      workload.mix[t] =
          weight != nullptr
              ? r.integer_in(*weight, "workload.mix." + std::string(kQueryTypes[t]), 0, 1'000'000)
              : 0;
      total += workload.mix[t];
    }
    if (total == 0) r.fail(mix->source(), "workload.mix", "at least one weight must be above 0");
  }
  if (const auto* faults = w["faults"].as_array()) {
    for (const toml::node& item : *faults) {
      const std::string name = item.as_string()->get();
      const auto fault = fault_by_name(name);
      if (!fault) {
        r.fail(item.source(), "workload.faults",
               "unknown fault profile '" + name + "' (nq-mock-engine --help lists them)");
      }
      workload.faults.set(static_cast<size_t>(*fault));
    }
  }
}

}  // namespace

EngineConfig parse_config(const std::string& text, const std::string& file) {
  const Reader reader(file);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    reader.fail(e.source(), "", "syntax error: " + std::string(e.description()));
  }
  reader.check_keys(root, "");
  EngineConfig config;
  config.file = file;
  read_engine(reader, root, config);
  read_plugin(reader, root, config);
  read_workload(reader, root, config.workload);
  return config;
}

EngineConfig load_config(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError(file + ": cannot read the config file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file);
}

}  // namespace nq::mock
