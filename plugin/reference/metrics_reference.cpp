// nq-metrics-reference: writes the README's metric and settings reference from
// the catalogue (the one place where families and settings are declared), or
// checks that the README is up to date.
//
//   nq-metrics-reference --check README.md    exit 1 when the README is stale
//   nq-metrics-reference --update README.md   rewrite the generated sections
//   nq-metrics-reference                      print the sections
//   nq-metrics-reference --series-names       one sample name per family (histograms:
//                                             NAME_count), for tests that query Prometheus
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "catalogue/metric_catalogue.hpp"
#include "config/plugin_settings.hpp"

namespace {

using namespace nq::metrics;

constexpr std::string_view kBegin = "<!-- BEGIN GENERATED REFERENCE (nq-metrics-reference) -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED REFERENCE -->\n";

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "?";
}

std::string_view unit_name(Unit unit) {
  switch (unit) {
    case Unit::none:
      return "";
    case Unit::seconds:
      return "seconds";
    case Unit::bytes:
      return "bytes";
  }
  return "?";
}

std::string labels_of(const FamilyDef& def) {
  std::string out;
  auto add = [&out](const std::string& label) { out += (out.empty() ? "" : ", ") + label; };
  const LabelSpaceDef& space = label_space(def.space);
  for (const std::string_view name : space.labels) {
    add("`" + std::string(name) + "`*");
  }
  if (def.source == Source::label_info) add("`" + std::string(space.payload_label) + "`");
  if (def.id == FamilyId::build_info) add("`version`, `abi_version`, `build_id`");
  for (const LabelDimension& dim : def.labels) add("`" + std::string(dim.name) + "`");
  return out;
}

std::string reference() {
  std::ostringstream out;
  out << kBegin << "\n### Metric families\n\n"
      << "Labels marked * take values from the engine: each is bounded by the setting named "
         "below; values past the bound are counted in the `__other__` series and in "
         "`neuroquantum_plugin_label_overflow_total`.\n\n"
      << "| name | type | unit | labels | bounded by | help |\n|---|---|---|---|---|---|\n";
  for (const FamilyDef& def : catalogue()) {
    const LabelSpaceDef& space = label_space(def.space);
    out << "| `" << def.name << "` | " << type_name(def.type) << " | " << unit_name(def.unit)
        << " | " << labels_of(def) << " | "
        << (space.setting.empty() ? "" : "`" + std::string(space.setting) + "`") << " | "
        << def.help << " |\n";
  }
  out << "\n### Plugin settings\n\n"
      << "Set under the engine's plugin section (e.g. `[plugins.metrics.settings]`).\n\n"
      << "| setting | default | meaning |\n|---|---|---|\n";
  for (const SettingDoc& s : settings_reference()) {
    out << "| `" << s.key << "` | `" << s.default_value << "` | " << s.meaning << " |\n";
  }
  out << "\n" << kEnd;
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode.empty()) {
    std::cout << reference();
    return 0;
  }
  if (mode == "--series-names") {
    for (const FamilyDef& def : catalogue()) {
      std::cout << def.name << (def.type == MetricType::histogram ? "_count" : "") << "\n";
    }
    return 0;
  }
  if ((mode != "--check" && mode != "--update") || argc != 3) {
    std::cerr << "usage: nq-metrics-reference [--series-names | --check|--update README.md]\n";
    return 2;
  }
  std::ifstream in(argv[2]);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  const size_t begin = text.find(kBegin);
  const size_t end = text.find(kEnd);
  if (!in || begin == std::string::npos || end == std::string::npos || end < begin) {
    std::cerr << argv[2] << ": no generated reference section (" << kBegin.substr(0, 40)
              << "...)\n";
    return 2;
  }
  const std::string current = text.substr(begin, end + kEnd.size() - begin);
  const std::string wanted = reference();
  if (mode == "--check") {
    if (current == wanted) return 0;
    std::cerr << argv[2]
              << ": the metric/settings reference is stale; refresh it with\n"
                 "  nq-metrics-reference --update README.md\n";
    return 1;
  }
  text.replace(begin, current.size(), wanted);
  std::ofstream(argv[2]) << text;
  return 0;
}
