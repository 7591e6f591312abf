// The protobuf exposition: every family as a varint-length-delimited
// io.prometheus.client.MetricFamily (client_model's metrics.proto), what
// Prometheus asks for first when its native histograms are enabled.
// Hand-encoded with expose/protobuf_wire.hpp; libprotobuf is not linked.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <prometheus/metric_family.h>

#include <span>
#include <string>

#include "store/collected_metrics.hpp"

namespace nq::metrics {

// Appends `family` to `out`: its length as a varint, then the message.
// `native`: empty, or the native buckets of each of its series; `exemplars`:
// empty, or as CollectedMetrics::exemplars of the family.
void append_protobuf_family(std::string& out, const prometheus::MetricFamily& family,
                            std::span<const NativeHistogram> native = {},
                            std::span<const Exemplar> exemplars = {});

// Every family of `metrics`, in order.
std::string render_protobuf(const CollectedMetrics& metrics);

}  // namespace nq::metrics
