// Native histogram buckets: the index from the bits of a double against a
// reference with std::log2 and std::ceil, the bucket budget, and the store
// recording them per thread, collecting them and handing them over on reload.
#include "store/native_histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "store/metric_store.hpp"

namespace nq::metrics {
namespace {

// Prometheus's definition: bucket i holds (2^((i-1)/2^s), 2^(i/2^s)], so
// i = ceil(log2(v) * 2^s).
double reference_position(double v, int32_t schema) {
  return std::log2(v) * std::ldexp(1.0, schema);
}

TEST(NativeIndexer, MatchesLog2ReferenceAcrossSchemasAndMagnitudes) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-40.0, 40.0);
  for (int32_t schema = kMinNativeSchema; schema <= kMaxNativeSchema; ++schema) {
    const NativeIndexer indexer(schema);
    int checked = 0;
    for (int k = 0; k < 20000; ++k) {
      const double v = std::exp2(exponent(rng));
      const double position = reference_position(v, schema);
      // log2 may be an ulp off next to a bound; those are checked exactly below.
      if (std::abs(position - std::round(position)) < 1e-9) continue;
      ASSERT_EQ(indexer.index(v), static_cast<int32_t>(std::ceil(position)))
          << "v=" << v << " schema=" << schema;
      ++checked;
    }
    EXPECT_GT(checked, 19000);
  }
}

TEST(NativeIndexer, ExactPowersOfTwoAreUpperBounds) {
  for (int32_t schema = kMinNativeSchema; schema <= kMaxNativeSchema; ++schema) {
    const NativeIndexer indexer(schema);
    for (int e = -1070; e <= 1023; ++e) {
      const double v = std::ldexp(1.0, e);
      const auto expected = static_cast<int32_t>(std::ceil(reference_position(v, schema)));
      ASSERT_EQ(indexer.index(v), expected) << "2^" << e << " schema " << schema;
    }
  }
}

TEST(NativeIndexer, EveryBoundIsInclusiveAndTheNextDoubleIsInTheNextBucket) {
  for (int32_t schema = kMinNativeSchema; schema <= kMaxNativeSchema; ++schema) {
    const NativeIndexer indexer(schema);
    const int32_t per_power = schema > 0 ? 1 << schema : 1;
    for (int32_t i = -30 * per_power; i <= 20 * per_power; ++i) {
      const double bound = indexer.upper_bound(i);
      ASSERT_EQ(indexer.index(bound), i) << "bound " << bound << " schema " << schema;
      ASSERT_EQ(indexer.index(std::nextafter(bound, 0.0)), i) << "below " << bound;
      ASSERT_EQ(indexer.index(std::nextafter(bound, 1e300)), i + 1) << "above " << bound;
      // The bound agrees with 2^(i/2^s) to the last bit or two.
      ASSERT_NEAR(bound / std::exp2(static_cast<double>(i) / std::ldexp(1.0, schema)), 1.0, 1e-15);
    }
  }
}

TEST(NativeIndexer, SubnormalTinyAndHugeValues) {
  for (int32_t schema : {-4, 0, 3, 8}) {
    const NativeIndexer indexer(schema);
    for (const double v : {std::numeric_limits<double>::denorm_min(), 3e-320, 1e-310,
                           std::numeric_limits<double>::min(), 1e-300, 1e-9, 1e-6, 1e300,
                           std::numeric_limits<double>::max()}) {
      const double position = reference_position(v, schema);
      ASSERT_EQ(indexer.index(v), static_cast<int32_t>(std::ceil(position)))
          << "v=" << v << " schema=" << schema;
    }
  }
}

TEST(NativeBudget, ReducesTheSchemaUntilTheBucketsFitMergingPairs) {
  NativeHistogram h;
  h.schema = 3;
  for (int32_t i = -4; i <= 5; ++i) {  // 10 buckets of count 1..10
    h.index.push_back(i);
    h.count.push_back(static_cast<uint64_t>(i + 5));
  }
  reduce_native_buckets(h, 10);  // fits: unchanged
  EXPECT_EQ(h.schema, 3);
  EXPECT_EQ(h.index.size(), 10u);
  reduce_native_buckets(h, 6);
  // schema 2: bucket j holds buckets 2j-1 and 2j: -4 -> -2 ; -3,-2 -> -1 ;
  // -1,0 -> 0 ; 1,2 -> 1 ; 3,4 -> 2 ; 5 -> 3
  EXPECT_EQ(h.schema, 2);
  EXPECT_EQ(h.index, (std::vector<int32_t>{-2, -1, 0, 1, 2, 3}));
  EXPECT_EQ(h.count, (std::vector<uint64_t>{1, 2 + 3, 4 + 5, 6 + 7, 8 + 9, 10}));
  reduce_native_buckets(h, 2);
  // Lower schemas until two remain.
  EXPECT_LE(h.index.size(), 2u);
  uint64_t total = 0;
  for (const uint64_t n : h.count) total += n;
  EXPECT_EQ(total, 55u);
  // The merged buckets hold the same values: bucket 5 of schema 3 ends at
  // 2^(5/8), inside bucket h.index.back() of the reduced schema.
  const NativeIndexer reduced(h.schema);
  EXPECT_EQ(reduced.index(std::exp2(5.0 / 8)), h.index.back());
}

TEST(NativeBudget, StopsAtTheLowestSchema) {
  NativeHistogram h;
  h.schema = kMinNativeSchema;
  h.index = {-10, 0, 10};
  h.count = {1, 1, 1};
  reduce_native_buckets(h, 1);
  EXPECT_EQ(h.schema, kMinNativeSchema);
  EXPECT_EQ(h.index.size(), 3u);
}

StoreOptions native_options(uint32_t slots, int32_t schema = 3, uint32_t budget = 160) {
  StoreOptions o;
  o.exclusive_slots = slots;
  o.native.enabled = true;
  o.native.schema = schema;
  o.native.max_buckets = budget;
  return o;
}

const PluginIdentity kIdentity{"1.2.3", "1.0", "abc", 42.0, 41.0};

// The native histogram of series `series` of neuroquantum_query_duration_seconds.
NativeHistogram query_native(MetricStore& store, uint32_t series = 0) {
  const auto collected = store.collect(kIdentity);
  const CollectedMetrics& m = collected.metrics();
  for (size_t i = 0; i < m.families.size(); ++i) {
    if (m.families[i].name != "neuroquantum_query_duration_seconds") continue;
    EXPECT_EQ(m.native[i].size(), m.families[i].metric.size());
    return m.native[i].at(series);
  }
  ADD_FAILURE() << "no query duration family";
  return {};
}

// Counts by bucket index, as the store should have them for these values.
std::map<int32_t, uint64_t> expected_buckets(const std::vector<uint64_t>& values_ns, int32_t schema,
                                             uint64_t& zero) {
  const NativeIndexer indexer(schema);
  std::map<int32_t, uint64_t> out;
  zero = 0;
  for (const uint64_t ns : values_ns) {
    const double seconds = static_cast<double>(ns) / 1e9;
    if (seconds <= 1e-6) {
      ++zero;
    } else {
      ++out[indexer.index(seconds)];
    }
  }
  return out;
}

std::map<int32_t, uint64_t> as_map(const NativeHistogram& h) {
  std::map<int32_t, uint64_t> out;
  for (size_t i = 0; i < h.index.size(); ++i) out[h.index[i]] = h.count[i];
  return out;
}

TEST(NativeStore, OffByDefaultAndOnlyForDurationFamiliesWithFixedLabels) {
  MetricStore plain(StoreOptions{});
  plain.observe(0, FamilyId::query_duration_seconds, 0, 5'000'000);
  {
    const auto collected = plain.collect(kIdentity);
    for (const auto& n : collected.metrics().native) EXPECT_TRUE(n.empty());
  }
  MetricStore store(native_options(1));
  const auto collected = store.collect(kIdentity);
  const CollectedMetrics& m = collected.metrics();
  ASSERT_EQ(m.native.size(), m.families.size());
  for (size_t i = 0; i < m.families.size(); ++i) {
    const FamilyDef* def = nullptr;
    for (const FamilyDef& d : catalogue()) {
      if (d.name == m.families[i].name) def = &d;
    }
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(!m.native[i].empty(), has_native_buckets(*def)) << def->name;
  }
}

TEST(NativeStore, ValuesFromSeveralThreadsAreSummedExactly) {
  constexpr uint32_t kThreads = 4;
  MetricStore store(native_options(kThreads - 1));  // the last thread uses the shared row
  std::vector<uint64_t> values;
  for (uint64_t k = 0; k < 5000; ++k) values.push_back(k * k * 37 % 20'000'000'000ull);
  values.push_back(0);
  values.push_back(1000);                           // 1 µs: the zero bucket (inclusive)
  values.push_back(1001);                           // just above it
  values.push_back(200'000ull * 1'000'000'000ull);  // 200000 s: past 2^17 s, the last bucket
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const nq_thread_slot slot = t + 1 < kThreads ? t : NQ_THREAD_SLOT_SHARED;
      for (const uint64_t v : values) store.observe(slot, FamilyId::query_duration_seconds, 1, v);
    });
  }
  for (auto& t : threads) t.join();
  uint64_t zero = 0;
  std::map<int32_t, uint64_t> expected = expected_buckets(values, 3, zero);
  // The value past 2^17 s is counted in the bucket ending at 2^17 s.
  const int32_t last = 17 * 8;
  uint64_t beyond = 0;
  for (auto it = expected.upper_bound(last); it != expected.end();) {
    beyond += it->second;
    it = expected.erase(it);
  }
  expected[last] += beyond;
  for (auto& [index, n] : expected) n *= kThreads;
  const NativeHistogram h = query_native(store, 1);
  EXPECT_EQ(h.schema, 3);
  EXPECT_EQ(h.zero_threshold, 1e-6);
  EXPECT_EQ(h.zero_count, zero * kThreads);
  EXPECT_EQ(as_map(h), expected);
}

TEST(NativeStore, TheBudgetLowersTheExposedSchema) {
  MetricStore store(native_options(1, 3, 20));
  std::vector<uint64_t> values;
  for (uint64_t ms = 1; ms <= 10'000; ms += 7) values.push_back(ms * 1'000'000);
  for (const uint64_t v : values) store.observe(0, FamilyId::query_duration_seconds, 0, v);
  const NativeHistogram h = query_native(store);
  EXPECT_LE(h.index.size(), 20u);
  EXPECT_LT(h.schema, 3);
  uint64_t zero = 0;
  std::map<int32_t, uint64_t> expected = expected_buckets(values, h.schema, zero);
  EXPECT_EQ(as_map(h), expected);
}

TEST(NativeStore, NativeBucketsSurviveAHotReloadAlsoToAnotherSchema) {
  MetricStore old_store(native_options(2));
  std::vector<uint64_t> values;
  for (uint64_t us = 3; us < 3'000'000; us = us * 3 / 2 + 1) values.push_back(us * 1000);
  for (const uint64_t v : values) old_store.observe(1, FamilyId::query_duration_seconds, 2, v);
  const std::string state = old_store.export_state();

  MetricStore same(native_options(2));
  std::string error;
  ASSERT_TRUE(same.import_state(state, error)) << error;
  uint64_t zero = 0;
  EXPECT_EQ(as_map(query_native(same, 2)), expected_buckets(values, 3, zero));

  MetricStore coarser(native_options(2, 1));
  ASSERT_TRUE(coarser.import_state(state, error)) << error;
  EXPECT_EQ(as_map(query_native(coarser, 2)), expected_buckets(values, 1, zero));

  // A copy without native buckets takes the classic cells alone.
  MetricStore plain(StoreOptions{});
  ASSERT_TRUE(plain.import_state(state, error)) << error;
  const auto collected = plain.collect(kIdentity);
  for (const auto& family : collected.metrics().families) {
    if (family.name != "neuroquantum_query_duration_seconds") continue;
    EXPECT_EQ(family.metric[2].histogram.sample_count, values.size());
  }
}

TEST(NativeStore, AStateWithoutNativeRecordsLeavesThemEmpty) {
  MetricStore plain(StoreOptions{});
  plain.observe(0, FamilyId::query_duration_seconds, 0, 5'000'000);
  MetricStore store(native_options(1));
  std::string error;
  ASSERT_TRUE(store.import_state(plain.export_state(), error)) << error;
  const NativeHistogram h = query_native(store);
  EXPECT_TRUE(h.index.empty());
  EXPECT_EQ(h.zero_count, 0u);
}

}  // namespace
}  // namespace nq::metrics
