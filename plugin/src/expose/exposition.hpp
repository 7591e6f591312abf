// Serializing collected families for /metrics: Prometheus text 0.0.4,
// OpenMetrics 1.0 text, and length-delimited protobuf MetricFamily messages
// (expose/protobuf_exposition.hpp). (Choosing the format and compressing are
// HTTP's: http/negotiation.hpp.)
//
// One writer serves both formats so they can never disagree on a value; numbers
// are written with std::to_chars (shortest round-trip form), which is also what
// keeps a scrape of 100k series in the low milliseconds.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <string>
#include <string_view>

#include "store/collected_metrics.hpp"

namespace nq::metrics {

enum class ExpositionFormat { prometheus_text, openmetrics, protobuf_delimited };

std::string render(const CollectedMetrics& metrics, ExpositionFormat format);

// The Content-Type header of a format.
std::string_view content_type(ExpositionFormat format);

}  // namespace nq::metrics
