#include "expose/exposition.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <map>
#include <sstream>
#include <vector>

#include "http/gzip_stream.hpp"
#include "http/negotiation.hpp"
#include "nq/testing/http_client.hpp"
#include "store/metric_store.hpp"

namespace nq::metrics {
namespace {

using nq::testing::gunzip;
using nq::testing::sample_value;

CollectedMetrics busy_store_scrape() {
  StoreOptions options;
  options.exclusive_slots = 2;
  options.buckets[static_cast<size_t>(FamilyId::query_duration_seconds)] = {0.00005, 0.0005, 1};
  MetricStore store(options);
  store.count(0, FamilyId::queries_total, 0, 7);
  store.observe(1, FamilyId::query_duration_seconds, 0, 50'000);  // 50 us: le=5e-05
  store.observe(1, FamilyId::query_duration_seconds, 0, 3'000'000'000);
  store.add(0, FamilyId::active_queries, 0, -2);
  const uint32_t slot =
      store.labels(LabelSpaceId::errors)
          .find_or_insert(std::string_view("storage\0quote\"back\\slash\nnl", 27));
  store.count(0, FamilyId::errors_total, 0, 3, slot);
  return store.collect({"1.2.3", "1.0", "abc", 42.0, 1764000000.5}).metrics();
}

// "series value" lines of a text exposition, by series.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

TEST(Exposition, TextAgreesWithPrometheusCppSerializerOnEverySample) {
  const CollectedMetrics scrape = busy_store_scrape();
  const auto ours = samples(render(scrape, ExpositionFormat::prometheus_text));
  auto reference = samples(prometheus::TextSerializer().Serialize(scrape.families));
  // prometheus-cpp writes le="5e-05" as le="5.0000000000000002e-05" (17 digits).
  std::map<std::string, double> normalized;
  for (auto& [series, value] : reference) {
    std::string s = series;
    const auto le = s.find(",le=\"");
    if (le != std::string::npos) {
      const auto end = s.find('"', le + 5);
      const double bound = std::stod(s.substr(le + 5, end - le - 5));
      std::string text;
      if (std::isinf(bound)) {
        text = "+Inf";
      } else {
        std::ostringstream os;
        os << bound;
        text = os.str();
      }
      s = s.substr(0, le + 5) + text + s.substr(end);
    }
    normalized[s] = value;
  }
  ASSERT_GT(ours.size(), 300u);
  EXPECT_EQ(ours.size(), normalized.size());
  for (const auto& [series, value] : normalized) {
    ASSERT_TRUE(ours.count(series)) << series;
    EXPECT_DOUBLE_EQ(ours.at(series), value) << series;
  }
}

TEST(Exposition, NumbersAreShortestAndBoundsReadable) {
  const std::string text = render(busy_store_scrape(), ExpositionFormat::prometheus_text);
  const std::string b = R"(neuroquantum_query_duration_seconds_bucket{query_type="select",le=")";
  EXPECT_EQ(sample_value(text, b + R"(5e-05"})"), 1);
  EXPECT_EQ(sample_value(text, b + R"(0.0005"})"), 1);
  EXPECT_EQ(sample_value(text, b + R"(+Inf"})"), 2);
  EXPECT_NE(text.find("neuroquantum_query_duration_seconds_sum{query_type=\"select\"} 3.00005\n"),
            std::string::npos);
  EXPECT_NE(text.find("neuroquantum_active_queries -2\n"), std::string::npos);
  EXPECT_NE(text.find(R"(error_type="quote\"back\\slash\nnl")"), std::string::npos);
  EXPECT_EQ(text.find("# EOF"), std::string::npos);
  EXPECT_EQ(text.find("_created{"), std::string::npos);
  EXPECT_EQ(text.find("_created "), std::string::npos);
}

TEST(Exposition, OpenMetricsNamesCountersWithoutTotalAndEndsWithEof) {
  const std::string om = render(busy_store_scrape(), ExpositionFormat::openmetrics);
  EXPECT_NE(om.find("# TYPE neuroquantum_queries counter\n"), std::string::npos);
  EXPECT_EQ(om.find("# TYPE neuroquantum_queries_total"), std::string::npos);
  EXPECT_EQ(sample_value(om, R"(neuroquantum_queries_total{query_type="select",status="success"})"),
            7);
  EXPECT_TRUE(om.ends_with("\n# EOF\n"));
  EXPECT_EQ(om.find("# EOF"), om.size() - 6) << "exactly one # EOF, at the end";
}

TEST(Exposition, OpenMetricsCreatedOnlyWhereTheSeriesStartIsKnown) {
  const std::string om = render(busy_store_scrape(), ExpositionFormat::openmetrics);
  EXPECT_EQ(
      sample_value(om, R"(neuroquantum_queries_created{query_type="select",status="success"})"),
      1764000000.5);
  EXPECT_EQ(sample_value(om, R"(neuroquantum_query_duration_seconds_created{query_type="select"})"),
            1764000000.5);
  // Gauges have none; neither have series of engine-valued labels (their
  // value may have changed hands through eviction).
  EXPECT_NE(om.find("neuroquantum_queries_created{"), std::string::npos);
  EXPECT_EQ(om.find("neuroquantum_active_queries_created"), std::string::npos);
  EXPECT_EQ(om.find("neuroquantum_errors_created"), std::string::npos);
}

TEST(Exposition, OpenMetricsEscapesQuotesInHelpAndTextFormatDoesNot) {
  prometheus::MetricFamily family{"x_total", "say \"hi\"\\", prometheus::MetricType::Counter, {}};
  family.metric.emplace_back();
  const CollectedMetrics metrics{{family}, {std::nan("")}};
  EXPECT_NE(render(metrics, ExpositionFormat::openmetrics).find("# HELP x say \\\"hi\\\"\\\\\n"),
            std::string::npos);
  EXPECT_NE(
      render(metrics, ExpositionFormat::prometheus_text).find("# HELP x_total say \"hi\"\\\\\n"),
      std::string::npos);
}

// The escaping looks at eight bytes at a time: a character to escape is found
// at every position of values of every length around the word size, and
// values without one (UTF-8 and the bytes next to the escaped ones included)
// are written as they are.
TEST(Exposition, EscapesLabelValuesAtEveryPositionAndLength) {
  const auto rendered_value = [](const std::string& value) {
    prometheus::MetricFamily family{"x", "h", prometheus::MetricType::Gauge, {}};
    family.metric.emplace_back().label.push_back({"v", value});
    const std::string text = render({{family}, {std::nan("")}}, ExpositionFormat::prometheus_text);
    const size_t begin = text.find("x{v=\"") + 5;
    return text.substr(begin, text.find("\"} ", begin) - begin);
  };
  const std::pair<char, std::string> escapes[] = {{'\\', "\\\\"}, {'\n', "\\n"}, {'"', "\\\""}};
  for (size_t length = 1; length <= 25; ++length) {
    const std::string plain(length, 'a');
    ASSERT_EQ(rendered_value(plain), plain);
    ASSERT_EQ(rendered_value(std::string(length, '[')), std::string(length, '['));
    ASSERT_EQ(rendered_value(std::string(length, '\xc3')), std::string(length, '\xc3'));
    for (size_t at = 0; at < length; ++at) {
      for (const auto& [c, escaped] : escapes) {
        std::string value = plain;
        value[at] = c;
        ASSERT_EQ(rendered_value(value), plain.substr(0, at) + escaped + plain.substr(at + 1))
            << "length " << length << ", at " << at;
      }
    }
  }
}

TEST(Exposition, NegotiatesOpenMetricsOnlyWhenPreferred) {
  EXPECT_EQ(negotiate_format(""), ExpositionFormat::prometheus_text);
  EXPECT_EQ(negotiate_format("*/*"), ExpositionFormat::prometheus_text);
  EXPECT_EQ(negotiate_format("text/plain;version=0.0.4"), ExpositionFormat::prometheus_text);
  // What Prometheus 2.x sends.
  EXPECT_EQ(negotiate_format("application/openmetrics-text;version=1.0.0,application/"
                             "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0."
                             "5,*/*;q=0.1"),
            ExpositionFormat::openmetrics);
  EXPECT_EQ(negotiate_format("Application/OpenMetrics-Text"), ExpositionFormat::openmetrics);
  EXPECT_EQ(negotiate_format("application/openmetrics-text;q=0.3, text/plain"),
            ExpositionFormat::prometheus_text);
  EXPECT_EQ(negotiate_format("application/openmetrics-text; version=2.0.0"),
            ExpositionFormat::prometheus_text);
  EXPECT_EQ(negotiate_format("application/openmetrics-text;q=0"),
            ExpositionFormat::prometheus_text);
  EXPECT_EQ(negotiate_format("application/openmetrics-text;q=bogus,,;;="),
            ExpositionFormat::prometheus_text);
}

TEST(Exposition, GzipOnlyWhenAllowed) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, GZIP;q=0.5"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("x-gzip-not"));
}

std::string gzipped(std::string_view body) {
  std::string out, error;
  EXPECT_TRUE(gzip_compress(body, out, error)) << error;
  return out;
}

TEST(Exposition, GzipRoundTripsAndShrinksAScrape) {
  const std::string text = render(busy_store_scrape(), ExpositionFormat::prometheus_text);
  const std::string compressed = gzipped(text);
  ASSERT_GE(compressed.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
  EXPECT_LT(compressed.size() * 5, text.size());
  EXPECT_EQ(gunzip(compressed), text);
  EXPECT_EQ(gunzip(gzipped("")), "");
}

// /metrics renders a gzipped scrape in pieces, each compressed as it comes:
// the pieces make up the whole body, series by series, in every text format,
// and the gzip of a body of many pieces is the body.
TEST(Exposition, RendersInPiecesThatMakeUpTheWholeBody) {
  const CollectedMetrics scrape = busy_store_scrape();
  for (const auto format : {ExpositionFormat::prometheus_text, ExpositionFormat::openmetrics}) {
    std::vector<std::string> pieces;
    render_in_pieces(scrape, format, {100, [&](std::string& piece) { pieces.push_back(piece); }});
    ASSERT_GT(pieces.size(), 5u);
    std::string joined;
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (i + 1 < pieces.size()) {
        EXPECT_GE(pieces[i].size(), 100u);
      }
      EXPECT_TRUE(pieces[i].ends_with('\n')) << "a piece ends with a whole line";
      joined += pieces[i];
    }
    EXPECT_EQ(joined, render(scrape, format));
  }

  prometheus::MetricFamily family{"many_total", "h", prometheus::MetricType::Counter, {}};
  for (int i = 0; i < 20'000; ++i) {
    auto& metric = family.metric.emplace_back();
    metric.label.push_back({"value", "v" + std::to_string(i * 7919)});
    metric.counter.value = i;
  }
  const CollectedMetrics large{{family}, {std::nan("")}};
  const std::string text = render(large, ExpositionFormat::prometheus_text);
  ASSERT_GT(text.size(), 4 * kGzipPieceBytes);
  std::string compressed, error;
  ASSERT_TRUE(gzip_rendered(
      [&](const BodySink& sink) {
        render_in_pieces(large, ExpositionFormat::prometheus_text, sink);
      },
      compressed, error))
      << error;
  EXPECT_EQ(gunzip(compressed), text);
}

}  // namespace
}  // namespace nq::metrics
