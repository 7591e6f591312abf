// Serializing collected families for /metrics.
// Thread-safety: pure functions of their arguments.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace nq::metrics {

// Prometheus text exposition format 0.0.4.
std::string render_prometheus_text(const std::vector<prometheus::MetricFamily>& families);

}  // namespace nq::metrics
