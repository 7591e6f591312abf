#include "scenario.hpp"

#include "toml_reader.hpp"

namespace nq::mock {
namespace {

constexpr KeySpec kScenarioKeys[] = {
    {"scenario_version", Kind::integer},
    {"description", Kind::string},
    {"seed", Kind::integer},
    {"phase", Kind::table_array},
    {"phase.name", Kind::string},
    {"phase.seconds", Kind::number},
    {"phase.queries_per_second", Kind::number},
    {"phase.threads", Kind::integer},
    {"phase.faults", Kind::string_array},
    {"phase.reload", Kind::boolean},
};

std::optional<ScenarioPhase> read_phase(const Reader& r, const toml::table& t,
                                        const WorkloadConfig& base, size_t index,
                                        std::string& error) {
  ScenarioPhase phase;
  phase.workload = base;
  phase.name = t["name"].value_or("phase " + std::to_string(index + 1));
  const toml::node* seconds_node = t.get("seconds");
  if (seconds_node == nullptr) {
    r.fail(t.source(), "phase.seconds", "missing: how long the phase lasts", error);
    return std::nullopt;
  }
  const auto seconds = r.number_in(*seconds_node, "phase.seconds", 0.001, 86'400, error);
  if (!seconds) return std::nullopt;
  phase.seconds = *seconds;
  if (const auto* qps = t.get("queries_per_second")) {
    const auto rate = r.number_in(*qps, "phase.queries_per_second", 0, 10'000'000, error);
    if (!rate) return std::nullopt;
    phase.workload.queries_per_second = *rate;
  }
  if (const auto* threads = t.get("threads")) {
    const auto count = r.integer_in(*threads, "phase.threads", 1, 256, error);
    if (!count) return std::nullopt;
    phase.workload.threads = *count;
  }
  if (const auto* faults = t.get_as<toml::array>("faults")) {
    const auto set = r.faults(*faults, "phase.faults", error);
    if (!set) return std::nullopt;
    phase.workload.faults |= *set;
  }
  phase.reload = t["reload"].value_or(false);
  return phase;
}

}  // namespace

std::optional<Scenario> parse_scenario(const std::string& text, const std::string& file,
                                       const WorkloadConfig& base, std::string& error) {
  const Reader reader(file, kScenarioKeys);
  const auto root = reader.parse(text, error);
  if (!root) return std::nullopt;
  const toml::node* version = root->get("scenario_version");
  if (version == nullptr) {
    reader.fail(root->source(), "scenario_version",
                "missing: this reader knows version " + std::to_string(kScenarioVersion), error);
    return std::nullopt;
  }
  if (version->as_integer()->get() != kScenarioVersion) {
    reader.fail(version->source(), "scenario_version",
                "version " + std::to_string(version->as_integer()->get()) +
                    " is not known; this reader knows " + std::to_string(kScenarioVersion),
                error);
    return std::nullopt;
  }
  Scenario scenario;
  scenario.file = file;
  scenario.description = (*root)["description"].value_or(std::string());
  if (const auto* seed = root->get("seed")) {
    const int64_t v = seed->as_integer()->get();
    if (v < 0) {
      reader.fail(seed->source(), "seed", "must not be negative", error);
      return std::nullopt;
    }
    scenario.seed = static_cast<uint64_t>(v);
  }
  const auto* phases = root->get_as<toml::array>("phase");
  if (phases == nullptr || phases->empty()) {
    reader.fail(root->source(), "phase", "missing: at least one [[phase]]", error);
    return std::nullopt;
  }
  for (const toml::node& entry : *phases) {
    auto phase = read_phase(reader, *entry.as_table(), base, scenario.phases.size(), error);
    if (!phase) return std::nullopt;
    scenario.phases.push_back(std::move(*phase));
  }
  return scenario;
}

std::optional<Scenario> load_scenario(const std::string& file, const WorkloadConfig& base,
                                      std::string& error) {
  const auto text = read_file(file, "scenario file", error);
  if (!text) return std::nullopt;
  return parse_scenario(*text, file, base, error);
}

}  // namespace nq::mock
