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

ScenarioPhase read_phase(const Reader& r, const toml::table& t, const WorkloadConfig& base,
                         size_t index) {
  ScenarioPhase phase;
  phase.workload = base;
  phase.name = t["name"].value_or("phase " + std::to_string(index + 1));
  const toml::node* seconds = t.get("seconds");
  if (seconds == nullptr) r.fail(t.source(), "phase.seconds", "missing: how long the phase lasts");
  phase.seconds = r.number_in(*seconds, "phase.seconds", 0.001, 86'400);
  if (const auto* qps = t.get("queries_per_second")) {
    phase.workload.queries_per_second =
        r.number_in(*qps, "phase.queries_per_second", 0, 10'000'000);
  }
  if (const auto* threads = t.get("threads")) {
    phase.workload.threads = r.integer_in(*threads, "phase.threads", 1, 256);
  }
  if (const auto* faults = t.get_as<toml::array>("faults")) {
    phase.workload.faults |= r.faults(*faults, "phase.faults");
  }
  phase.reload = t["reload"].value_or(false);
  return phase;
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& file,
                        const WorkloadConfig& base) {
  const Reader reader(file, kScenarioKeys);
  const toml::table root = reader.parse(text);
  const toml::node* version = root.get("scenario_version");
  if (version == nullptr) {
    reader.fail(root.source(), "scenario_version",
                "missing: this reader knows version " + std::to_string(kScenarioVersion));
  }
  if (version->as_integer()->get() != kScenarioVersion) {
    reader.fail(version->source(), "scenario_version",
                "version " + std::to_string(version->as_integer()->get()) +
                    " is not known; this reader knows " + std::to_string(kScenarioVersion));
  }
  Scenario scenario;
  scenario.file = file;
  scenario.description = root["description"].value_or(std::string());
  if (const auto* seed = root.get("seed")) {
    const int64_t v = seed->as_integer()->get();
    if (v < 0) reader.fail(seed->source(), "seed", "must not be negative");
    scenario.seed = static_cast<uint64_t>(v);
  }
  const auto* phases = root.get_as<toml::array>("phase");
  if (phases == nullptr || phases->empty()) {
    reader.fail(root.source(), "phase", "missing: at least one [[phase]]");
  }
  for (const toml::node& entry : *phases) {
    scenario.phases.push_back(read_phase(reader, *entry.as_table(), base, scenario.phases.size()));
  }
  return scenario;
}

Scenario load_scenario(const std::string& file, const WorkloadConfig& base) {
  return parse_scenario(read_file(file, "scenario file"), file, base);
}

}  // namespace nq::mock
