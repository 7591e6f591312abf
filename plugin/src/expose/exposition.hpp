// Serializing collected families for /metrics: Prometheus text 0.0.4 and
// OpenMetrics 1.0 text, content negotiation and gzip.
//
// One writer serves both formats so they can never disagree on a value; numbers
// are written with std::to_chars (shortest round-trip form), which is also what
// keeps a scrape of 100k series in the low milliseconds.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <string_view>
#include <vector>

namespace nq::metrics {

enum class ExpositionFormat { prometheus_text, openmetrics };

// What a scrape collected. created_seconds[i] is the Unix time the series of
// families[i] started counting from (OpenMetrics `_created`), or NaN when the
// family has no such time (gauges, and series whose label value can change
// hands through eviction).
struct CollectedMetrics {
  std::vector<prometheus::MetricFamily> families;
  std::vector<double> created_seconds;
};

std::string render(const CollectedMetrics& metrics, ExpositionFormat format);

// The Content-Type header of a format.
std::string_view content_type(ExpositionFormat format);

// The format an Accept header prefers (q-values honoured); text 0.0.4 unless
// application/openmetrics-text is acceptable and not less preferred.
ExpositionFormat negotiate_format(std::string_view accept);

// True when an Accept-Encoding header allows gzip (q-value above zero).
bool accepts_gzip(std::string_view accept_encoding);

// RFC 1952 gzip of `body` (zlib, fastest level: scrapes are repetitive text).
std::string gzip_compress(std::string_view body);

}  // namespace nq::metrics
