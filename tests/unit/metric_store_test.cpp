#include "metric_store.hpp"

#include <gtest/gtest.h>

#include "exposition.hpp"
#include "http_client.hpp"

namespace nq::metrics {
namespace {

using nq::testing::sample_value;

std::string render(const MetricStore& store) {
  return render_prometheus_text(store.collect({"1.2.3", "1.0", "abc", 42.0}));
}

TEST(MetricStore, CountersAreAddressedByMixedRadixSeries) {
  MetricStore store(2);
  // query_type=update (2), status=cancelled (2): 2 * 3 + 2
  store.count(0, FamilyId::queries_total, 2 * 3 + 2, 5);
  store.count(NQ_THREAD_SLOT_SHARED, FamilyId::queries_total, 0);
  const std::string text = render(store);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_queries_total{query_type="update",status="cancelled"})"),
      5);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_queries_total{query_type="select",status="success"})"), 1);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_queries_total{query_type="other",status="error"})"),
            0);
}

TEST(MetricStore, HistogramBucketsAreInclusiveAndSumIsInSeconds) {
  MetricStore store(1);
  const auto select = 0u;
  store.observe(0, FamilyId::query_duration_seconds, select, 1'000'000);       // 1 ms: le=0.001
  store.observe(0, FamilyId::query_duration_seconds, select, 1'000'001);       // just above
  store.observe(0, FamilyId::query_duration_seconds, select, 60'000'000'000);  // 60 s: +Inf only
  const std::string text = render(store);
  const std::string b = R"(neuroquantum_query_duration_seconds_bucket{query_type="select",le=")";
  EXPECT_EQ(sample_value(text, b + R"(0.0005"})"), 0);
  EXPECT_EQ(sample_value(text, b + R"(0.001"})"), 1);
  EXPECT_EQ(sample_value(text, b + R"(0.0025"})"), 2);
  EXPECT_EQ(sample_value(text, b + R"(10"})"), 2);
  EXPECT_EQ(sample_value(text, b + R"(+Inf"})"), 3);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_query_duration_seconds_count{query_type="select"})"),
            3);
  EXPECT_DOUBLE_EQ(
      *sample_value(text, R"(neuroquantum_query_duration_seconds_sum{query_type="select"})"),
      60.002000001);
}

TEST(MetricStore, UpDownGaugeFoldsSignedDeltasFromDifferentThreads) {
  MetricStore store(2);
  store.add(0, FamilyId::active_queries, 0, +3);
  store.add(1, FamilyId::active_queries, 0, -1);
  EXPECT_EQ(sample_value(render(store), "neuroquantum_active_queries"), 2);
}

TEST(MetricStore, BuildInfoAndStartTimeComeFromTheIdentity) {
  MetricStore store(1);
  const std::string text = render(store);
  EXPECT_EQ(
      sample_value(text,
                   R"(neuroquantum_build_info{version="1.2.3",abi_version="1.0",build_id="abc"})"),
      1);
  EXPECT_EQ(sample_value(text, "neuroquantum_plugin_start_time_seconds"), 42);
}

TEST(MetricStore, EveryFamilyHasHelpAndType) {
  MetricStore store(1);
  const std::string text = render(store);
  for (const FamilyDef& def : catalogue()) {
    EXPECT_NE(text.find("# HELP " + std::string(def.name) + " "), std::string::npos) << def.name;
    EXPECT_NE(text.find("# TYPE " + std::string(def.name) + " "), std::string::npos) << def.name;
  }
}

}  // namespace
}  // namespace nq::metrics
