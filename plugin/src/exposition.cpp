#include "exposition.hpp"

#include <prometheus/text_serializer.h>

namespace nq::metrics {

std::string render_prometheus_text(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace nq::metrics
