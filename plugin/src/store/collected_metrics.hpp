// What a scrape collects from the store: prometheus-cpp's data model of every
// family, which the serializers of expose/ write out.
//
// Thread-safety: a plain value; the store refills its own copy under its
// scrape lock (MetricStore::collect()).
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

namespace nq::metrics {

// What a scrape collected. created_seconds[i] is the Unix time the series of
// families[i] started counting from (OpenMetrics `_created`), or NaN when the
// family has no such time (gauges, and series whose label value can change
// hands through eviction).
struct CollectedMetrics {
  std::vector<prometheus::MetricFamily> families;
  std::vector<double> created_seconds;
};

}  // namespace nq::metrics
