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

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "store/collected_metrics.hpp"

namespace nq::metrics {

enum class ExpositionFormat { prometheus_text, openmetrics, protobuf_delimited };

std::string render(const CollectedMetrics& metrics, ExpositionFormat format);

// Where render_in_pieces() hands a body over: `take` receives it in order, in
// pieces of at least `piece_bytes` but the last (a series is never split),
// and may move from each. The text formats are written a piece
// at a time, so that a consumer such as gzip reads each while it is still in
// the cache; protobuf, sized whole before it is written, comes in one piece.
struct BodySink {
  size_t piece_bytes;
  std::function<void(std::string& piece)> take;
};
void render_in_pieces(const CollectedMetrics& metrics, ExpositionFormat format,
                      const BodySink& sink);
// A sink that keeps the body whole in `body` (one piece, moved in).
BodySink whole_body(std::string& body);

// The Content-Type header of a format.
std::string_view content_type(ExpositionFormat format);

}  // namespace nq::metrics
