#include "expose/protobuf_exposition.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>
#include <vector>

#include "expose/protobuf_wire.hpp"

namespace nq::metrics {
namespace {

using namespace protowire;

// Field numbers of client_model 0.3.0's metrics.proto (package
// io.prometheus.client), for the fields this writer sets. Native histograms: positive buckets only
// (durations are never negative); the float variants (4, 8, 11, 14) and negative buckets (9-11) are
// unused.
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
constexpr uint32_t kCounterExemplarField = 2;
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
constexpr uint32_t cumulative_count = 1, upper_bound = 2, exemplar = 3;
}
namespace exemplar_field {
constexpr uint32_t label = 1, value = 2, timestamp = 3;
}
namespace timestamp_field {  // google.protobuf.Timestamp
constexpr uint32_t seconds = 1, nanos = 2;
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
void encode_label(Sink& sink, uint32_t field, std::string_view name, std::string_view value) {
  sink.message(field, [&](auto& l) {
    l.text(label_field::name, name);
    l.text(label_field::value, value);
  });
}

// Bytes as lower-case hex, as the W3C traceparent writes them.
template <size_t N>
std::string_view hex(const uint8_t (&bytes)[N], char (&out)[2 * N]) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < N; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return {out, 2 * N};
}

template <typename Sink>
void encode_exemplar(Sink& sink, uint32_t field, const Exemplar& e) {
  sink.message(field, [&](auto& x) {
    char trace[32], span[16];
    encode_label(x, exemplar_field::label, "trace_id", hex(e.trace_id, trace));
    if (std::any_of(std::begin(e.span_id), std::end(e.span_id), [](uint8_t b) { return b != 0; })) {
      encode_label(x, exemplar_field::label, "span_id", hex(e.span_id, span));
    }
    x.real(exemplar_field::value, e.value);
    if (std::isnan(e.timestamp_seconds)) return;
    const double seconds = std::floor(e.timestamp_seconds);
    x.message(exemplar_field::timestamp, [&](auto& t) {
      t.uint(timestamp_field::seconds, static_cast<uint64_t>(seconds));
      t.uint(
          timestamp_field::nanos,
          static_cast<uint64_t>(std::llround((e.timestamp_seconds - seconds) * 1e9) % 1000000000));
    });
  });
}

// `exemplars`: one per bucket (+Inf last), or none.
template <typename Sink>
void encode_histogram(Sink& sink, const prometheus::ClientMetric::Histogram& histogram,
                      std::span<const Exemplar> exemplars) {
  sink.uint(histogram_field::sample_count, histogram.sample_count);
  sink.real(histogram_field::sample_sum, histogram.sample_sum);
  for (size_t i = 0; i < histogram.bucket.size(); ++i) {
    sink.message(histogram_field::bucket, [&](auto& b) {
      b.uint(bucket_field::cumulative_count, histogram.bucket[i].cumulative_count);
      b.real(bucket_field::upper_bound, histogram.bucket[i].upper_bound);
      if (i < exemplars.size() && exemplars[i].present) {
        encode_exemplar(b, bucket_field::exemplar, exemplars[i]);
      }
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

// `exemplars`: the series' exemplars (CollectedMetrics::exemplars), or none.
template <typename Sink>
void encode_metric(Sink& sink, prometheus::MetricType type, const prometheus::ClientMetric& m,
                   const NativeHistogram* native, std::span<const Exemplar> exemplars) {
  for (const auto& label : m.label)
    encode_label(sink, metric_field::label, label.name, label.value);
  switch (type) {
    case prometheus::MetricType::Counter:
      sink.message(metric_field::counter, [&](auto& c) {
        c.real(kValueField, m.counter.value);
        if (!exemplars.empty() && exemplars[0].present) {
          encode_exemplar(c, kCounterExemplarField, exemplars[0]);
        }
      });
      break;
    case prometheus::MetricType::Gauge:
      sink.message(metric_field::gauge, [&](auto& g) { g.real(kValueField, m.gauge.value); });
      break;
    case prometheus::MetricType::Histogram:
      sink.message(metric_field::histogram, [&](auto& h) {
        encode_histogram(h, m.histogram, exemplars);
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

// `native` is empty or holds the native buckets of each series; `exemplars`
// as CollectedMetrics::exemplars of the family.
template <typename Sink>
void encode_family(Sink& sink, const prometheus::MetricFamily& family,
                   std::span<const NativeHistogram> native, std::span<const Exemplar> exemplars) {
  sink.text(family_field::name, family.name);
  sink.text(family_field::help, family.help);
  sink.uint(family_field::type, proto_type(family.type));
  for (size_t i = 0; i < family.metric.size(); ++i) {
    const NativeHistogram* n = i < native.size() ? &native[i] : nullptr;
    const size_t per_series = family.type == prometheus::MetricType::Histogram
                                  ? family.metric[i].histogram.bucket.size()
                                  : 1;
    const std::span<const Exemplar> own = (i + 1) * per_series <= exemplars.size()
                                              ? exemplars.subspan(i * per_series, per_series)
                                              : std::span<const Exemplar>{};
    sink.message(family_field::metric,
                 [&](auto& s) { encode_metric(s, family.type, family.metric[i], n, own); });
  }
}

template <typename T>
std::span<const T> of_family(const std::vector<std::vector<T>>& all, size_t family) {
  if (family >= all.size()) return {};
  return all[family];
}

}  // namespace

void append_protobuf_family(std::string& out, const prometheus::MetricFamily& family,
                            std::span<const NativeHistogram> native,
                            std::span<const Exemplar> exemplars) {
  SizeSink size;
  encode_family(size, family, native, exemplars);
  const size_t start = out.size();
  out.resize(start + varint_size(size.size()) + size.size());
  WriteSink sink(out.data() + start);
  sink.length_prefix(size.size());
  encode_family(sink, family, native, exemplars);
}

std::string render_protobuf(const CollectedMetrics& metrics) {
  // Every family sized first: the body is one allocation, exactly its size,
  // written in place.
  std::vector<size_t> sizes;
  sizes.reserve(metrics.families.size());
  size_t total = 0;
  for (size_t i = 0; i < metrics.families.size(); ++i) {
    SizeSink size;
    encode_family(size, metrics.families[i], of_family(metrics.native, i),
                  of_family(metrics.exemplars, i));
    sizes.push_back(size.size());
    total += varint_size(size.size()) + size.size();
  }
  std::string out(total, '\0');
  WriteSink sink(out.data());
  for (size_t i = 0; i < sizes.size(); ++i) {
    sink.length_prefix(sizes[i]);
    encode_family(sink, metrics.families[i], of_family(metrics.native, i),
                  of_family(metrics.exemplars, i));
  }
  return out;
}

}  // namespace nq::metrics
