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
// the bytes, WriteSink writes them. An embedded message's length precedes
// it, so WriteSink sizes it first (a walk of the message that allocates
// nothing); the two can never disagree on what is written.
class SizeSink {
 public:
  void uint(uint32_t field, uint64_t value) { size_ += tag_size(field) + varint_size(value); }
  void real(uint32_t field, double) { size_ += double_size(field); }
  void text(uint32_t field, std::string_view text) {
    size_ += length_size(field, text.size()) + text.size();
  }
  template <typename Encode>
  void message(uint32_t field, const Encode& encode) {
    SizeSink inner;
    encode(inner);
    size_ += length_size(field, inner.size_) + inner.size_;
  }
  size_t size() const { return size_; }

 private:
  size_t size_ = 0;
};

// Writes into a buffer already sized by SizeSink.
class WriteSink {
 public:
  explicit WriteSink(char* at) : at_(at) {}
  void uint(uint32_t field, uint64_t value) {
    at_ = write_varint(write_tag(at_, field, WireType::varint), value);
  }
  void real(uint32_t field, double value) { at_ = write_double(at_, field, value); }
  void text(uint32_t field, std::string_view text) { at_ = write_string(at_, field, text); }
  template <typename Encode>
  void message(uint32_t field, const Encode& encode) {
    SizeSink size;
    encode(size);
    at_ = write_length(at_, field, size.size());
    encode(*this);
  }
  void length_prefix(size_t size) { at_ = write_varint(at_, size); }
  char* at() const { return at_; }

 private:
  char* at_;
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
  const size_t start = out.size();
  out.resize(start + varint_size(size.size()) + size.size());
  WriteSink sink(out.data() + start);
  sink.length_prefix(size.size());
  encode_family(sink, family);
}

std::string render_protobuf(const CollectedMetrics& metrics) {
  // Every family sized first: the body is one allocation, exactly its size,
  // written in place.
  std::vector<size_t> sizes;
  sizes.reserve(metrics.families.size());
  size_t total = 0;
  for (const auto& family : metrics.families) {
    SizeSink size;
    encode_family(size, family);
    sizes.push_back(size.size());
    total += varint_size(size.size()) + size.size();
  }
  std::string out(total, '\0');
  WriteSink sink(out.data());
  for (size_t i = 0; i < sizes.size(); ++i) {
    sink.length_prefix(sizes[i]);
    encode_family(sink, metrics.families[i]);
  }
  return out;
}

}  // namespace nq::metrics
