// What a scrape collects from the store: prometheus-cpp's data model of every
// family, which the serializers of expose/ write out.
//
// Thread-safety: a plain value; the store refills its own copy under its
// scrape lock (MetricStore::collect()).
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nq::metrics {

// What a scrape collected. created_seconds[i] is the Unix time the series of
// families[i] started counting from (OpenMetrics `_created`), or NaN when the
// family has no such time (gauges, and series whose label value can change
// hands through eviction).
//
// native[i][j] are the native buckets of series j of families[i], when that
// family has them (native[i] is empty otherwise): prometheus-cpp's model has
// no place for them. Only the protobuf writer exposes them.
struct NativeHistogram {
  int32_t schema = 0;
  double zero_threshold = 0;
  uint64_t zero_count = 0;
  std::vector<int32_t> index;  // populated buckets, increasing
  std::vector<uint64_t> count;
};

// The latest traced event of a bucket (or counter series): its trace
// context, its value in the family's unit and when it happened (Unix
// seconds, NaN when the engine did not say).
struct Exemplar {
  bool present = false;
  uint8_t trace_id[16] = {};
  uint8_t span_id[8] = {};  // all zero: none given
  double value = 0;
  double timestamp_seconds = 0;
};

// exemplars[i] of families[i] (empty when it has none): for series j, the
// exemplar of bucket b at j * (buckets + 1) + b (+Inf last), or of a
// counter at j. Only OpenMetrics and protobuf expose them.
struct CollectedMetrics {
  std::vector<prometheus::MetricFamily> families;
  std::vector<double> created_seconds;
  std::vector<std::vector<NativeHistogram>> native = {};
  std::vector<std::vector<Exemplar>> exemplars = {};
  // text_label_blocks[i][j]: what the text writers made of the labels of
  // series j of families[i] (`{name="value",...` without the closing
  // brace), kept from one scrape to the next. The collector keeps it the
  // model's size and empties the block of every series whose labels
  // changed; a writer rebuilds an empty one. Empty for a model made by hand:
  // the writers then keep nothing. Written by one thread at a time, the one
  // whose scrape holds the store's scrape lock.
  mutable std::vector<std::vector<std::string>> text_label_blocks = {};
};

}  // namespace nq::metrics
