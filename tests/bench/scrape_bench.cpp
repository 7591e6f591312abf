// Cost of a scrape: fold the store and serialize it (text 0.0.4, OpenMetrics or
// delimited protobuf, with or without gzip), for 10k and 100k series; the
// serializers alone on one collected model (BM_Serialize_*); against
// prometheus-cpp's Registry::Collect + TextSerializer on the same number of
// counter series. The HTTP round trip is not included.
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <string>

#include "expose/exposition.hpp"
#include "filled_store.hpp"
#include "http/gzip_stream.hpp"
#include "http/negotiation.hpp"

namespace {

using namespace nq::metrics;

void scrape(benchmark::State& state, ExpositionFormat format, bool gzip) {
  FilledStore& f = filled_store(static_cast<uint32_t>(state.range(0)));
  size_t bytes = 0, series = 0;
  for (auto _ : state) {
    std::string body, error;
    const auto collected = f.store->collect(f.identity);
    series = 0;
    for (const auto& family : collected.metrics().families) series += family.metric.size();
    // As the plugin's /metrics does: gzip takes each piece as it is rendered.
    const auto render = [&](const BodySink& sink) {
      render_in_pieces(collected.metrics(), format, sink);
    };
    if (gzip) {
      if (!gzip_rendered(render, body, error)) state.SkipWithError(error.c_str());
    } else {
      render(whole_body(body));
    }
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.counters["series"] = static_cast<double>(series);
  state.counters["body_bytes"] = static_cast<double>(bytes);
}

void BM_Scrape_Plugin_Text(benchmark::State& s) {
  scrape(s, ExpositionFormat::prometheus_text, false);
}
void BM_Scrape_Plugin_TextGzip(benchmark::State& s) {
  scrape(s, ExpositionFormat::prometheus_text, true);
}
void BM_Scrape_Plugin_OpenMetrics(benchmark::State& s) {
  scrape(s, ExpositionFormat::openmetrics, false);
}
void BM_Scrape_Plugin_OpenMetricsGzip(benchmark::State& s) {
  scrape(s, ExpositionFormat::openmetrics, true);
}

void BM_Scrape_Plugin_Protobuf(benchmark::State& s) {
  scrape(s, ExpositionFormat::protobuf_delimited, false);
}
void BM_Scrape_Plugin_ProtobufGzip(benchmark::State& s) {
  scrape(s, ExpositionFormat::protobuf_delimited, true);
}

// The serializer alone: the model is collected once (the scrape lock is held
// throughout, nothing else runs) and written out again and again.
void serialize(benchmark::State& state, ExpositionFormat format) {
  FilledStore& f = filled_store(static_cast<uint32_t>(state.range(0)));
  const auto collected = f.store->collect(f.identity);
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string body = render(collected.metrics(), format);
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}

void BM_Serialize_Plugin_Text(benchmark::State& s) {
  serialize(s, ExpositionFormat::prometheus_text);
}
void BM_Serialize_Plugin_Protobuf(benchmark::State& s) {
  serialize(s, ExpositionFormat::protobuf_delimited);
}

void BM_Scrape_PromCpp_Text(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  prometheus::Registry registry;
  auto& family = prometheus::BuildCounter().Name("index_scans_total").Register(registry);
  for (uint32_t i = 0; i < n; ++i) {
    family
        .Add({{"table", "table_" + std::to_string(i / 16)}, {"index", "idx_" + std::to_string(i)}})
        .Increment(i + 1);
  }
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string body = prometheus::TextSerializer().Serialize(registry.Collect());
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.counters["series"] = n;
  state.counters["body_bytes"] = static_cast<double>(bytes);
}

}  // namespace

#define NQ_BENCH_SCRAPE(fn) BENCHMARK(fn)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)
NQ_BENCH_SCRAPE(BM_Scrape_Plugin_Text);
NQ_BENCH_SCRAPE(BM_Scrape_Plugin_TextGzip);
NQ_BENCH_SCRAPE(BM_Scrape_Plugin_OpenMetrics);
NQ_BENCH_SCRAPE(BM_Scrape_Plugin_OpenMetricsGzip);
NQ_BENCH_SCRAPE(BM_Scrape_Plugin_Protobuf);
NQ_BENCH_SCRAPE(BM_Scrape_Plugin_ProtobufGzip);
NQ_BENCH_SCRAPE(BM_Serialize_Plugin_Text);
NQ_BENCH_SCRAPE(BM_Serialize_Plugin_Protobuf);
NQ_BENCH_SCRAPE(BM_Scrape_PromCpp_Text);
