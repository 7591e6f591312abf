// Cost of native histogram buckets: MetricStore::observe() of
// neuroquantum_query_duration_seconds with native buckets off and on (and at
// schema 8), on a thread's own row; and a scrape (collect + protobuf) of a
// store whose duration histograms are populated, off and on. The store is
// used directly, without the host runtime, so that the difference is the
// native bucket alone.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <memory>

#include "expose/exposition.hpp"
#include "store/metric_store.hpp"

namespace {

using namespace nq::metrics;

StoreOptions options(bool native, int32_t schema = 3) {
  StoreOptions o;
  o.exclusive_slots = 4;
  o.native.enabled = native;
  o.native.schema = schema;
  return o;
}

// Durations from 50 µs to about 3 s, spread over the buckets.
std::array<uint64_t, 1024> durations() {
  std::array<uint64_t, 1024> d{};
  uint64_t x = 88172645463325252ull;
  for (uint64_t& v : d) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v = 50'000 + (x % 60'000) * (x % 50'000);
  }
  return d;
}

void observe(benchmark::State& state, bool native, int32_t schema) {
  MetricStore store(options(native, schema));
  const auto values = durations();
  size_t i = 0;
  for (auto _ : state) {
    store.observe(0, FamilyId::query_duration_seconds, i % 6, values[i % values.size()]);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  // Every family's cells, 4 thread rows and the shared row.
  state.counters["store_bytes"] = static_cast<double>(store.memory_bytes());
}

void BM_Observe_Duration_Classic(benchmark::State& s) {
  observe(s, false, 3);
}
void BM_Observe_Duration_Native(benchmark::State& s) {
  observe(s, true, 3);
}
void BM_Observe_Duration_NativeSchema8(benchmark::State& s) {
  observe(s, true, 8);
}

void scrape(benchmark::State& state, bool native) {
  MetricStore store(options(native));
  const auto values = durations();
  for (uint32_t slot = 0; slot < 4; ++slot) {
    for (size_t i = 0; i < 20'000; ++i) {
      store.observe(slot, FamilyId::query_duration_seconds, i % 6, values[i % values.size()]);
      store.observe(slot, FamilyId::lock_wait_duration_seconds, i % 4,
                    values[i % values.size()] / 10);
    }
  }
  const PluginIdentity identity{"1", "1.2", "x", 0, 0};
  size_t bytes = 0;
  for (auto _ : state) {
    const auto collected = store.collect(identity);
    bytes = render(collected.metrics(), ExpositionFormat::protobuf_delimited).size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}

void BM_Scrape_Protobuf_Classic(benchmark::State& s) {
  scrape(s, false);
}
void BM_Scrape_Protobuf_Native(benchmark::State& s) {
  scrape(s, true);
}

}  // namespace

BENCHMARK(BM_Observe_Duration_Classic);
BENCHMARK(BM_Observe_Duration_Native);
BENCHMARK(BM_Observe_Duration_NativeSchema8);
BENCHMARK(BM_Scrape_Protobuf_Classic)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Scrape_Protobuf_Native)->Unit(benchmark::kMicrosecond);
