#include "expose/protobuf_exposition.hpp"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "expose/protobuf_wire.hpp"

namespace nq::metrics {
namespace {

using namespace protowire;

// Field numbers of client_model 0.3.0's metrics.proto (package
// io.prometheus.client), for the fields this writer sets. Exemplars
// (Counter 2, Bucket 3) go into the encoders below when the store has them.
// Native histograms: positive buckets only (durations are never negative);
// the float variants (4, 8, 11, 14) and negative buckets (9-11) are unused.
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
// sint32, double, uint64, repeated BucketSpan, repeated sint64 (packed here;
// proto2 parsers accept packed and unpacked alike).
constexpr uint32_t schema = 5, zero_threshold = 6, zero_count = 7, positive_span = 12,
                   positive_delta = 13;
}  // namespace histogram_field
namespace span_field {
constexpr uint32_t offset = 1, length = 2;  // sint32, uint32
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
  void sint(uint32_t field, int64_t value) { uint(field, zigzag(value)); }
  // A packed repeated sint64 of `count` values, value(i) the i-th.
  template <typename Value>
  void packed_sint(uint32_t field, size_t count, const Value& value) {
    const size_t payload = packed_payload(count, value);
    size_ += length_size(field, payload) + payload;
  }
  template <typename Value>
  static size_t packed_payload(size_t count, const Value& value) {
    size_t payload = 0;
    for (size_t i = 0; i < count; ++i) payload += varint_size(zigzag(value(i)));
    return payload;
  }
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
  void sint(uint32_t field, int64_t value) { uint(field, zigzag(value)); }
  template <typename Value>
  void packed_sint(uint32_t field, size_t count, const Value& value) {
    at_ = write_length(at_, field, SizeSink::packed_payload(count, value));
    for (size_t i = 0; i < count; ++i) at_ = write_varint(at_, zigzag(value(i)));
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

// The native buckets: schema, zero bucket, the populated buckets as spans of
// consecutive indexes (the first span's offset is its first index, the
// others' the gap since the previous span) and their counts as deltas, each
// from the previous bucket's count (the first from 0).
template <typename Sink>
void encode_native(Sink& sink, const NativeHistogram& native) {
  sink.sint(histogram_field::schema, native.schema);
  sink.real(histogram_field::zero_threshold, native.zero_threshold);
  sink.uint(histogram_field::zero_count, native.zero_count);
  const auto& index = native.index;
  int32_t next = 0;  // the index after the previous span
  for (size_t first = 0; first < index.size();) {
    size_t end = first + 1;
    while (end < index.size() && index[end] == index[end - 1] + 1) ++end;
    const int32_t offset = first == 0 ? index[first] : index[first] - next;
    sink.message(histogram_field::positive_span, [&](auto& span) {
      span.sint(span_field::offset, offset);
      span.uint(span_field::length, end - first);
    });
    next = index[end - 1] + 1;
    first = end;
  }
  if (native.count.empty()) return;
  sink.packed_sint(histogram_field::positive_delta, native.count.size(), [&](size_t i) {
    return static_cast<int64_t>(native.count[i]) -
           (i == 0 ? 0 : static_cast<int64_t>(native.count[i - 1]));
  });
}

template <typename Sink>
void encode_metric(Sink& sink, prometheus::MetricType type, const prometheus::ClientMetric& m,
                   const NativeHistogram* native) {
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
      sink.message(metric_field::histogram, [&](auto& h) {
        encode_histogram(h, m.histogram);
        if (native != nullptr) encode_native(h, *native);
      });
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

// `native` is empty or holds the native buckets of each series.
template <typename Sink>
void encode_family(Sink& sink, const prometheus::MetricFamily& family,
                   std::span<const NativeHistogram> native) {
  sink.text(family_field::name, family.name);
  sink.text(family_field::help, family.help);
  sink.uint(family_field::type, proto_type(family.type));
  for (size_t i = 0; i < family.metric.size(); ++i) {
    const NativeHistogram* n = i < native.size() ? &native[i] : nullptr;
    sink.message(family_field::metric,
                 [&](auto& s) { encode_metric(s, family.type, family.metric[i], n); });
  }
}

std::span<const NativeHistogram> native_of(const CollectedMetrics& metrics, size_t family) {
  if (family >= metrics.native.size()) return {};
  return metrics.native[family];
}

}  // namespace

void append_protobuf_family(std::string& out, const prometheus::MetricFamily& family,
                            std::span<const NativeHistogram> native) {
  SizeSink size;
  encode_family(size, family, native);
  const size_t start = out.size();
  out.resize(start + varint_size(size.size()) + size.size());
  WriteSink sink(out.data() + start);
  sink.length_prefix(size.size());
  encode_family(sink, family, native);
}

std::string render_protobuf(const CollectedMetrics& metrics) {
  // Every family sized first: the body is one allocation, exactly its size,
  // written in place.
  std::vector<size_t> sizes;
  sizes.reserve(metrics.families.size());
  size_t total = 0;
  for (size_t i = 0; i < metrics.families.size(); ++i) {
    SizeSink size;
    encode_family(size, metrics.families[i], native_of(metrics, i));
    sizes.push_back(size.size());
    total += varint_size(size.size()) + size.size();
  }
  std::string out(total, '\0');
  WriteSink sink(out.data());
  for (size_t i = 0; i < sizes.size(); ++i) {
    sink.length_prefix(sizes[i]);
    encode_family(sink, metrics.families[i], native_of(metrics, i));
  }
  return out;
}

}  // namespace nq::metrics
