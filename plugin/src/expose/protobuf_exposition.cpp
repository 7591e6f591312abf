#include "expose/protobuf_exposition.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

#include "expose/protobuf_wire.hpp"

namespace nq::metrics {
namespace {

using namespace protowire;

// Field numbers of client_model 0.3.0's metrics.proto (package
// io.prometheus.client), for the fields this writer sets. Native histograms
// (Histogram 5-14) and exemplars (Counter 2, Bucket 3) go into the encoders
// below when the store has them.
namespace family_field {
constexpr uint32_t name = 1, help = 2, type = 3, metric = 4;
}
namespace metric_field {
constexpr uint32_t label = 1, gauge = 2, counter = 3, untyped = 5, histogram = 7;
}
namespace label_field {
constexpr uint32_t name = 1, value = 2;
}
constexpr uint32_t kValueField = 1;  // Counter.value, Gauge.value, Untyped.value
namespace histogram_field {
constexpr uint32_t sample_count = 1, sample_sum = 2, bucket = 3;
}
namespace bucket_field {
constexpr uint32_t cumulative_count = 1, upper_bound = 2;
}

// enum MetricType of metrics.proto.
constexpr uint64_t kCounter = 0, kGauge = 1, kUntyped = 3, kHistogram = 4;

// Every message is encoded once, as a template over its sink: SizeSink counts
// the bytes, WriteSink appends them. An embedded message's length precedes
// it, so WriteSink sizes it first (a walk of the message that allocates
// nothing); the two can never disagree on what is written.
class SizeSink {
 public:
  void uint(uint32_t field, uint64_t value) { size_ += tag_size(field) + varint_size(value); }
  void real(uint32_t field, double) { size_ += tag_size(field) + sizeof(double); }
  void text(uint32_t field, std::string_view text) {
    size_ += tag_size(field) + varint_size(text.size()) + text.size();
  }
  template <typename Encode>
  void message(uint32_t field, const Encode& encode) {
    SizeSink inner;
    encode(inner);
    size_ += tag_size(field) + varint_size(inner.size_) + inner.size_;
  }
  size_t size() const { return size_; }

 private:
  size_t size_ = 0;
};

class WriteSink {
 public:
  explicit WriteSink(std::string& out) : out_(out) {}
  void uint(uint32_t field, uint64_t value) {
    append_tag(out_, field, WireType::varint);
    append_varint(out_, value);
  }
  void real(uint32_t field, double value) { append_double(out_, field, value); }
  void text(uint32_t field, std::string_view text) { append_string(out_, field, text); }
  template <typename Encode>
  void message(uint32_t field, const Encode& encode) {
    SizeSink size;
    encode(size);
    append_length(out_, field, size.size());
    encode(*this);
  }

 private:
  std::string& out_;
};

template <typename Sink>
void encode_histogram(Sink& sink, const prometheus::ClientMetric::Histogram& histogram) {
  sink.uint(histogram_field::sample_count, histogram.sample_count);
  sink.real(histogram_field::sample_sum, histogram.sample_sum);
  for (const auto& bucket : histogram.bucket) {
    sink.message(histogram_field::bucket, [&](auto& b) {
      b.uint(bucket_field::cumulative_count, bucket.cumulative_count);
      b.real(bucket_field::upper_bound, bucket.upper_bound);
    });
  }
}

template <typename Sink>
void encode_metric(Sink& sink, prometheus::MetricType type, const prometheus::ClientMetric& m) {
  for (const auto& label : m.label) {
    sink.message(metric_field::label, [&](auto& l) {
      l.text(label_field::name, label.name);
      l.text(label_field::value, label.value);
    });
  }
  switch (type) {
    case prometheus::MetricType::Counter:
      sink.message(metric_field::counter, [&](auto& c) { c.real(kValueField, m.counter.value); });
      break;
    case prometheus::MetricType::Gauge:
      sink.message(metric_field::gauge, [&](auto& g) { g.real(kValueField, m.gauge.value); });
      break;
    case prometheus::MetricType::Histogram:
      sink.message(metric_field::histogram, [&](auto& h) { encode_histogram(h, m.histogram); });
      break;
    default:  // as the text writer: anything else is untyped
      sink.message(metric_field::untyped, [&](auto& u) { u.real(kValueField, m.untyped.value); });
  }
}

uint64_t proto_type(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter:
      return kCounter;
    case prometheus::MetricType::Gauge:
      return kGauge;
    case prometheus::MetricType::Histogram:
      return kHistogram;
    default:
      return kUntyped;
  }
}

template <typename Sink>
void encode_family(Sink& sink, const prometheus::MetricFamily& family) {
  sink.text(family_field::name, family.name);
  sink.text(family_field::help, family.help);
  sink.uint(family_field::type, proto_type(family.type));
  for (const auto& m : family.metric) {
    sink.message(family_field::metric, [&](auto& s) { encode_metric(s, family.type, m); });
  }
}

}  // namespace

void append_protobuf_family(std::string& out, const prometheus::MetricFamily& family) {
  SizeSink size;
  encode_family(size, family);
  append_varint(out, size.size());
  WriteSink sink(out);
  encode_family(sink, family);
}

std::string render_protobuf(const CollectedMetrics& metrics) {
  // Every family sized first: the body is one allocation, exactly its size.
  std::vector<size_t> sizes;
  sizes.reserve(metrics.families.size());
  size_t total = 0;
  for (const auto& family : metrics.families) {
    SizeSink size;
    encode_family(size, family);
    sizes.push_back(size.size());
    total += varint_size(size.size()) + size.size();
  }
  std::string out;
  out.reserve(total);
  WriteSink sink(out);
  for (size_t i = 0; i < sizes.size(); ++i) {
    append_varint(out, sizes[i]);
    encode_family(sink, metrics.families[i]);
  }
  return out;
}

}  // namespace nq::metrics
