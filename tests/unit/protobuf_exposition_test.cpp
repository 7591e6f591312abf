// The hand-written protobuf encoder (expose/protobuf_wire.hpp,
// expose/protobuf_exposition.hpp) against bytes worked out by hand from the
// Protocol Buffers encoding and client_model 0.3.0's metrics.proto; and the
// negotiation of it. tests/integration/protobuf_exposition_test.cpp decodes a
// real scrape with protoc.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "expose/exposition.hpp"
#include "expose/protobuf_exposition.hpp"
#include "expose/protobuf_wire.hpp"
#include "http/negotiation.hpp"

namespace nq::metrics {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out += static_cast<char>(v);
  return out;
}

std::string hex(const std::string& data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : data) {
    const auto b = static_cast<unsigned char>(c);
    if (!out.empty()) out += ' ';
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string varint(uint64_t value) {
  char buffer[10];
  return {buffer, protowire::write_varint(buffer, value)};
}

std::string double_field(uint32_t field, double value) {
  char buffer[16];
  return {buffer, protowire::write_double(buffer, field, value)};
}

TEST(ProtobufWire, VarintsAtTheEdgesOfTheirLengths) {
  const struct {
    uint64_t value;
    std::string expected;
  } cases[] = {
      {0, bytes({0x00})},
      {1, bytes({0x01})},
      {127, bytes({0x7f})},
      {128, bytes({0x80, 0x01})},
      {300, bytes({0xac, 0x02})},
      {16'383, bytes({0xff, 0x7f})},
      {16'384, bytes({0x80, 0x80, 0x01})},
      {uint64_t{1} << 32, bytes({0x80, 0x80, 0x80, 0x80, 0x10})},
      {std::numeric_limits<uint64_t>::max(),
       bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(hex(varint(c.value)), hex(c.expected)) << c.value;
    EXPECT_EQ(protowire::varint_size(c.value), c.expected.size()) << c.value;
  }
}

TEST(ProtobufWire, DoublesAreTaggedLittleEndianFixed64) {
  // tag (1 << 3) | 1, then 0x3ff0000000000000
  EXPECT_EQ(hex(double_field(1, 1.0)), "09 00 00 00 00 00 00 f0 3f");
  EXPECT_EQ(hex(double_field(2, -0.5)), "11 00 00 00 00 00 00 e0 bf");  // 0xbfe0000000000000
  EXPECT_EQ(hex(double_field(2, std::numeric_limits<double>::infinity())),
            "11 00 00 00 00 00 00 f0 7f");
  EXPECT_EQ(protowire::double_size(2), 9u);
}

TEST(ProtobufWire, FieldNumbersPast15TakeTwoTagBytes) {
  EXPECT_EQ(protowire::tag_size(15), 1u);
  EXPECT_EQ(protowire::tag_size(16), 2u);
  char buffer[8];
  char* end = protowire::write_string(buffer, 16, "ab");
  EXPECT_EQ(hex(std::string(buffer, end)), "82 01 02 61 62");
  EXPECT_EQ(protowire::length_size(16, 2) + 2, 5u);
}

prometheus::ClientMetric::Label label(std::string name, std::string value) {
  prometheus::ClientMetric::Label l;
  l.name = std::move(name);
  l.value = std::move(value);
  return l;
}

TEST(ProtobufExposition, CounterFamily) {
  prometheus::MetricFamily family;
  family.name = "a_total";
  family.help = "h";
  family.type = prometheus::MetricType::Counter;
  family.metric.resize(1);
  family.metric[0].label = {label("k", "v")};
  family.metric[0].counter.value = 2;
  std::string out;
  append_protobuf_family(out, family);
  EXPECT_EQ(hex(out),
            hex(bytes({
                0x23,                                                        // 35 bytes follow
                0x0a, 0x07, 'a',  '_',  't', 'o',  't',  'a', 'l',           // name = 1
                0x12, 0x01, 'h',                                             // help = 2
                0x18, 0x00,                                                  // type = 3: COUNTER
                0x22, 0x13,                                                  // metric = 4, 19 bytes
                0x0a, 0x06, 0x0a, 0x01, 'k', 0x12, 0x01, 'v',                // label = 1
                0x1a, 0x09, 0x09, 0,    0,   0,    0,    0,   0,   0, 0x40,  // counter = 3: 2.0
            })));
}

TEST(ProtobufWire, ZigzagOfSint32AndSint64) {
  EXPECT_EQ(protowire::zigzag(0), 0u);
  EXPECT_EQ(protowire::zigzag(-1), 1u);
  EXPECT_EQ(protowire::zigzag(1), 2u);
  EXPECT_EQ(protowire::zigzag(-2), 3u);
  EXPECT_EQ(protowire::zigzag(std::numeric_limits<int32_t>::max()), 0xfffffffeu);
  EXPECT_EQ(protowire::zigzag(std::numeric_limits<int32_t>::min()), 0xffffffffu);
  EXPECT_EQ(protowire::zigzag(std::numeric_limits<int64_t>::min()), ~uint64_t{0});
}

// Native buckets: schema (5, sint32), zero_threshold (6), zero_count (7),
// positive_span (12: offset sint32, length uint32) and positive_delta (13,
// packed sint64), after the classic fields.
TEST(ProtobufExposition, NativeHistogramFields) {
  prometheus::MetricFamily family;
  family.name = "h";
  family.type = prometheus::MetricType::Histogram;
  family.metric.resize(1);
  family.metric[0].histogram.sample_count = 8;
  NativeHistogram native;
  native.schema = 3;
  native.zero_threshold = 0.5;
  native.zero_count = 1;
  native.index = {-2, -1, 3};  // spans {-2, 2} and {3 - 0, 1}
  native.count = {2, 1, 4};    // deltas 2, -1, 3
  std::string out;
  append_protobuf_family(out, family, std::span(&native, 1));
  EXPECT_EQ(hex(out),
            hex(bytes({
                0x34,                                               // 52 bytes follow
                0x0a, 0x01, 'h',                                    // name
                0x12, 0x00,                                         // help
                0x18, 0x04,                                         // type: HISTOGRAM
                0x22, 0x2b,                                         // metric, 43 bytes
                0x3a, 0x29,                                         // histogram = 7, 41 bytes
                0x08, 0x08,                                         // sample_count = 8
                0x11, 0,    0,    0,    0,    0,    0, 0,    0,     // sample_sum = 0
                0x28, 0x06,                                         // schema = 3 (zigzag 6)
                0x31, 0,    0,    0,    0,    0,    0, 0xe0, 0x3f,  // zero_threshold = 0.5
                0x38, 0x01,                                         // zero_count = 1
                0x62, 0x04, 0x08, 0x03, 0x10, 0x02,                 // span: offset -2, length 2
                0x62, 0x04, 0x08, 0x06, 0x10, 0x01,                 // span: offset 3, length 1
                0x6a, 0x03, 0x04, 0x01, 0x06,                       // deltas 2, -1, 3 (packed)
            })));
}

TEST(ProtobufExposition, GaugeAndUntypedFamilies) {
  prometheus::MetricFamily gauge;
  gauge.name = "g";
  gauge.type = prometheus::MetricType::Gauge;
  gauge.metric.resize(1);
  gauge.metric[0].gauge.value = -2;
  prometheus::MetricFamily untyped = gauge;
  untyped.type = prometheus::MetricType::Untyped;
  untyped.metric[0].untyped.value = 1;
  std::string out;
  append_protobuf_family(out, gauge);
  EXPECT_EQ(hex(out), hex(bytes({0x14, 0x0a, 0x01, 'g',  0x12, 0x00, 0x18, 0x01,  // 20 bytes; GAUGE
                                 0x22, 0x0b, 0x12, 0x09,                          // gauge = 2
                                 0x09, 0,    0,    0,    0,    0,    0,    0,    0xc0})));  // -2.0
  out.clear();
  append_protobuf_family(out, untyped);
  EXPECT_EQ(hex(out),
            hex(bytes({0x14, 0x0a, 0x01, 'g',  0x12, 0x00, 0x18, 0x03,  // 20 bytes; UNTYPED
                       0x22, 0x0b, 0x2a, 0x09,                          // untyped = 5
                       0x09, 0,    0,    0,    0,    0,    0,    0xf0, 0x3f})));  // 1.0
}

TEST(ProtobufExposition, ClassicHistogramFamily) {
  prometheus::MetricFamily family;
  family.name = "h";
  family.type = prometheus::MetricType::Histogram;
  family.metric.resize(1);
  auto& h = family.metric[0].histogram;
  h.sample_count = 3;
  h.sample_sum = 1.5;
  h.bucket = {{1, 0.5}, {3, std::numeric_limits<double>::infinity()}};
  std::string out;
  append_protobuf_family(out, family);
  EXPECT_EQ(hex(out), hex(bytes({
                          0x30,                                                  // 48 bytes follow
                          0x0a, 0x01, 'h',  0x12, 0x00, 0x18, 0x04,              // HISTOGRAM
                          0x22, 0x27,                                            // metric, 39 bytes
                          0x3a, 0x25,                                            // histogram = 7
                          0x08, 0x03,                                            // sample_count = 1
                          0x11, 0,    0,    0,    0,    0,    0,    0xf8, 0x3f,  // sample_sum = 2
                          0x1a, 0x0b, 0x08, 0x01,                                // bucket = 3
                          0x11, 0,    0,    0,    0,    0,    0,    0xe0, 0x3f,  //   le 0.5
                          0x1a, 0x0b, 0x08, 0x03,                                // bucket = 3
                          0x11, 0,    0,    0,    0,    0,    0,    0xf0, 0x7f,  //   le +Inf
                      })));
}

// A varint at `at`, advancing it; nullopt past the end.
std::optional<uint64_t> read_varint(const std::string& data, size_t& at) {
  uint64_t value = 0;
  for (int shift = 0; at < data.size() && shift < 64; shift += 7) {
    const auto b = static_cast<unsigned char>(data[at++]);
    value |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) return value;
  }
  return std::nullopt;
}

TEST(ProtobufExposition, RenderIsEveryFamilyDelimitedAndExactlySized) {
  CollectedMetrics metrics;
  for (int i = 0; i < 200; ++i) {
    prometheus::MetricFamily f;
    f.name = "family_" + std::to_string(i);
    f.help = std::string(static_cast<size_t>(i), 'x');  // lengths across the 1-byte varint edge
    f.type = prometheus::MetricType::Gauge;
    f.metric.resize(static_cast<size_t>(i % 3));
    metrics.families.push_back(std::move(f));
  }
  const std::string body = render(metrics, ExpositionFormat::protobuf_delimited);
  size_t at = 0, messages = 0;
  while (at < body.size()) {
    const auto length = read_varint(body, at);
    ASSERT_TRUE(length.has_value());
    std::string one;
    append_protobuf_family(one, metrics.families[messages]);
    EXPECT_EQ(one, body.substr(at - protowire::varint_size(*length),
                               protowire::varint_size(*length) + *length));
    at += *length;
    ++messages;
  }
  EXPECT_EQ(at, body.size());
  EXPECT_EQ(messages, metrics.families.size());
}

TEST(ProtobufExposition, NegotiatedOnlyForTheDelimitedMetricFamilyStream) {
  // What Prometheus 2.42 sends with --enable-feature=native-histograms
  // (scrapeAcceptHeaderWithProtobuf in scrape/scrape.go).
  EXPECT_EQ(negotiate_format("application/vnd.google.protobuf;proto=io.prometheus.client."
                             "MetricFamily;encoding=delimited,application/openmetrics-text;"
                             "version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;"
                             "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            ExpositionFormat::protobuf_delimited);
  EXPECT_EQ(negotiate_format("application/vnd.google.protobuf; "
                             "proto=io.prometheus.client.MetricFamily; encoding=delimited"),
            ExpositionFormat::protobuf_delimited);
  // Protobuf's text encodings, another message, or no encoding: not ours.
  EXPECT_EQ(negotiate_format("application/vnd.google.protobuf;proto=io.prometheus.client."
                             "MetricFamily;encoding=text"),
            ExpositionFormat::prometheus_text);
  EXPECT_EQ(negotiate_format("application/vnd.google.protobuf;proto=other.Message;"
                             "encoding=delimited"),
            ExpositionFormat::prometheus_text);
  EXPECT_EQ(negotiate_format("application/vnd.google.protobuf"), ExpositionFormat::prometheus_text);
  // Less preferred than OpenMetrics, or refused.
  EXPECT_EQ(negotiate_format("application/vnd.google.protobuf;proto=io.prometheus.client."
                             "MetricFamily;encoding=delimited;q=0.5,application/"
                             "openmetrics-text;version=1.0.0"),
            ExpositionFormat::openmetrics);
  EXPECT_EQ(negotiate_format("application/vnd.google.protobuf;proto=io.prometheus.client."
                             "MetricFamily;encoding=delimited;q=0,text/plain;q=0.1"),
            ExpositionFormat::prometheus_text);
  EXPECT_EQ(content_type(ExpositionFormat::protobuf_delimited),
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
            "encoding=delimited");
}

}  // namespace
}  // namespace nq::metrics
