// Walks the catalogue: the naming rules of the metric catalogue spec hold for
// every family, so a new entry cannot break them unnoticed.
#include "catalogue/metric_catalogue.hpp"

#include "nq/nq_plugin_abi.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace nq::metrics {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

TEST(MetricCatalogue, NamesFollowThePrometheusConventions) {
  const std::regex valid_name("(neuroquantum|process)_[a-z][a-z0-9_]*[a-z0-9]");
  const std::regex valid_label("[a-z][a-z0-9_]*");
  std::set<std::string_view> seen;
  for (const FamilyDef& def : catalogue()) {
    const std::string name(def.name);
    SCOPED_TRACE(name);
    EXPECT_TRUE(std::regex_match(name, valid_name));
    EXPECT_TRUE(seen.insert(def.name).second) << "declared twice";
    EXPECT_FALSE(def.help.empty());
    EXPECT_EQ(def.type == MetricType::counter, ends_with(name, "_total"))
        << "counters, and only counters, end in _total";
    EXPECT_EQ(name.find("_ratio"), std::string::npos) << "ratios are derived in PromQL";
    EXPECT_NE(name, "neuroquantum_up");
    for (const LabelDimension& dim : def.labels) {
      EXPECT_TRUE(std::regex_match(std::string(dim.name), valid_label));
      EXPECT_NE(dim.name, "le");
      EXPECT_FALSE(dim.values.empty());
    }
  }
}

// The unit column and the name agree: a family in seconds or bytes ends with
// its unit (before _total), a family without a unit ends with neither, and
// only counters end with _total.
TEST(MetricCatalogue, UnitColumnMatchesTheNameSuffix) {
  for (const FamilyDef& def : catalogue()) {
    const bool total = ends_with(def.name, "_total");
    EXPECT_EQ(total, def.type == MetricType::counter) << def.name;
    const std::string_view base =
        total ? def.name.substr(0, def.name.size() - std::string_view("_total").size()) : def.name;
    EXPECT_EQ(ends_with(base, "_seconds"), def.unit == Unit::seconds) << def.name;
    EXPECT_EQ(ends_with(base, "_bytes"), def.unit == Unit::bytes) << def.name;
  }
}

TEST(MetricCatalogue, HistogramsAreInSecondsWithIncreasingBuckets) {
  for (const FamilyDef& def : catalogue()) {
    if (def.type != MetricType::histogram) {
      EXPECT_TRUE(def.buckets.empty()) << def.name;
      continue;
    }
    EXPECT_TRUE(ends_with(def.name, "_seconds")) << def.name;
    ASSERT_FALSE(def.buckets.empty()) << def.name;
    for (size_t i = 1; i < def.buckets.size(); ++i) {
      EXPECT_LT(def.buckets[i - 1], def.buckets[i]) << def.name;
    }
  }
}

TEST(MetricCatalogue, FamilyLookupMatchesId) {
  EXPECT_EQ(family(FamilyId::queries_total).name, "neuroquantum_queries_total");
  EXPECT_EQ(fixed_series_count(family(FamilyId::queries_total)),
            NQ_QUERY_TYPE_COUNT * NQ_QUERY_STATUS_COUNT);
  EXPECT_EQ(fixed_series_count(family(FamilyId::active_queries)), 1u);
}

}  // namespace
}  // namespace nq::metrics
