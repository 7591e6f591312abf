// Heap bytes per series: the plugin's store (grown by raising a label space's
// bound, every value in use) against prometheus-cpp (Family::Add). Each
// benchmark runs once and reports its figures as counters.
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "live_bytes.hpp"
#include "store/metric_store.hpp"

namespace {

using namespace nq::metrics;
using nq::bench::live_heap_bytes;

constexpr uint32_t kSmall = 1'000;
constexpr uint32_t kLarge = 11'000;

const std::vector<double> k16Buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,   0.5,   1,      2.5,   5,    10,    30,   60};

// Heap bytes of a store whose `space` holds `values` live values, each used
// once by `record`.
template <typename Record>
int64_t store_bytes(LabelSpaceId space, uint32_t values, Record&& record) {
  const nq::bench::HeapCounting counting;
  const int64_t before = live_heap_bytes();
  StoreOptions options;
  options.exclusive_slots = 64;
  options.bounds[static_cast<size_t>(space)] = values;
  options.buckets[static_cast<size_t>(FamilyId::quantum_operation_duration_seconds)] = k16Buckets;
  auto store = std::make_unique<MetricStore>(options);
  for (uint32_t i = 0; i < values; ++i) {
    const std::string key =
        "subsystem_" + std::to_string(i % 8) + '\0' + "value_" + std::to_string(i);
    record(*store, store->labels(space).find_or_insert(key));
  }
  return live_heap_bytes() - before;
}

void BM_Memory_Plugin_CounterSeries(benchmark::State& state) {
  // neuroquantum_errors_total{subsystem,error_type}: one counter series per value.
  auto record = [](MetricStore& s, uint32_t slot) {
    s.count(0, FamilyId::errors_total, 0, 1, slot);
  };
  int64_t bytes = 0;
  for (auto _ : state) {
    bytes = store_bytes(LabelSpaceId::errors, kLarge, record) -
            store_bytes(LabelSpaceId::errors, kSmall, record);
  }
  state.counters["bytes_per_series"] = static_cast<double>(bytes) / (kLarge - kSmall);
}

void BM_Memory_Plugin_HistogramSeries(benchmark::State& state) {
  // quantum_operation_duration_seconds{operation} (16 buckets) plus the
  // operation's quantum_operations_total{operation,status} counters.
  auto record = [](MetricStore& s, uint32_t slot) {
    s.observe(0, FamilyId::quantum_operation_duration_seconds, 0, 1'000'000, slot);
  };
  int64_t bytes = 0;
  for (auto _ : state) {
    bytes = store_bytes(LabelSpaceId::quantum_operations, kLarge, record) -
            store_bytes(LabelSpaceId::quantum_operations, kSmall, record);
  }
  state.counters["bytes_per_value"] = static_cast<double>(bytes) / (kLarge - kSmall);
}

template <typename Add>
double promcpp_bytes_per_series(Add&& add) {
  const nq::bench::HeapCounting counting;
  const int64_t before = live_heap_bytes();
  for (uint32_t i = 0; i < kLarge - kSmall; ++i) add(i);
  return static_cast<double>(live_heap_bytes() - before) / (kLarge - kSmall);
}

void BM_Memory_PromCpp_CounterSeries(benchmark::State& state) {
  double per_series = 0;
  for (auto _ : state) {
    prometheus::Registry registry;
    auto& family = prometheus::BuildCounter().Name("errors_total").Register(registry);
    per_series = promcpp_bytes_per_series([&](uint32_t i) {
      family
          .Add({{"subsystem", "subsystem_" + std::to_string(i % 8)},
                {"error_type", "value_" + std::to_string(i)}})
          .Increment();
    });
  }
  state.counters["bytes_per_series"] = per_series;
}

void BM_Memory_PromCpp_HistogramSeries(benchmark::State& state) {
  double per_series = 0;
  for (auto _ : state) {
    prometheus::Registry registry;
    auto& family = prometheus::BuildHistogram().Name("duration_seconds").Register(registry);
    per_series = promcpp_bytes_per_series([&](uint32_t i) {
      family.Add({{"operation", "value_" + std::to_string(i)}}, k16Buckets).Observe(0.001);
    });
  }
  state.counters["bytes_per_series"] = per_series;
}

}  // namespace

BENCHMARK(BM_Memory_Plugin_CounterSeries)->Iterations(1);
BENCHMARK(BM_Memory_Plugin_HistogramSeries)->Iterations(1);
BENCHMARK(BM_Memory_PromCpp_CounterSeries)->Iterations(1);
BENCHMARK(BM_Memory_PromCpp_HistogramSeries)->Iterations(1);
