// The protobuf exposition of the real plugin over loopback, decoded by protoc
// with client_model's metrics.proto (tests/support/protobuf_decode.hpp; the
// packages protobuf-compiler, golang-github-prometheus-client-model-dev and
// libprotobuf-dev, which scripts/nq installs; tests/CMakeLists.txt finds them
// and refuses to configure without them), and compared with the text exposition of the same
// plugin state: the same families, and every series with the same value.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nq/testing/http_client.hpp"
#include "nq/testing/plugin_under_test.hpp"
#include "protobuf_decode.hpp"

namespace {

using nq::testing::PluginUnderTest;

constexpr std::string_view kProtobufAccept =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
    "encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,"
    "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

// Series whose values move between two scrapes (the scrapes themselves, the
// connections they use, the process).
bool moves_between_scrapes(std::string_view name) {
  return name.starts_with("process_") || name.starts_with("neuroquantum_plugin_scrape_") ||
         name.starts_with("neuroquantum_plugin_http_");
}

// A number as both sides compare it ("+Inf" and protoc's "inf" alike).
std::string canonical(const std::string& number) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", std::strtod(number.c_str(), nullptr));
  return buffer;
}

// protoc's text form of one MetricFamily as text-exposition series:
// name{labels} -> value, histograms as _bucket{...,le=""}, _count and _sum.
struct DecodedFamily {
  std::string name, type;
  std::map<std::string, std::string> series;
};

std::string quoted(const std::string& field_line) {
  const auto first = field_line.find('"');
  return field_line.substr(first + 1, field_line.rfind('"') - first - 1);
}

std::string field_value(const std::string& line) {
  return line.substr(line.find(": ") + 2);
}

DecodedFamily parse_decoded(const std::string& text) {
  DecodedFamily family;
  std::istringstream lines(text);
  std::string line, labels, label_name, value_message, le, bucket_count;
  while (std::getline(lines, line)) {
    const size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos) continue;
    const std::string l = line.substr(indent);
    const auto block = [&](const std::string& suffix, const std::string& extra) {
      std::string all = labels;
      if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
      return family.name + suffix + (all.empty() ? "" : "{" + all + "}");
    };
    if (indent == 0) {
      if (l.starts_with("name: ")) family.name = quoted(l);
      if (l.starts_with("type: ")) family.type = field_value(l);
      if (l == "metric {") labels.clear();
    } else if (l == "label {" || l == "counter {" || l == "gauge {" || l == "untyped {" ||
               l == "histogram {") {
      value_message = l.substr(0, l.find(' '));
    } else if (value_message == "label" && l.starts_with("name: ")) {
      label_name = quoted(l);
    } else if (value_message == "label" && l.starts_with("value: ")) {
      labels += (labels.empty() ? "" : ",") + label_name + "=\"" + quoted(l) + "\"";
    } else if (l.starts_with("value: ")) {
      family.series[block("", "")] = canonical(field_value(l));
    } else if (l.starts_with("sample_count: ")) {
      family.series[block("_count", "")] = canonical(field_value(l));
    } else if (l.starts_with("sample_sum: ")) {
      family.series[block("_sum", "")] = canonical(field_value(l));
    } else if (l.starts_with("cumulative_count: ")) {
      bucket_count = field_value(l);
    } else if (l.starts_with("upper_bound: ")) {
      family.series[block("_bucket", "le=\"" + canonical(field_value(l)) + "\"")] =
          canonical(bucket_count);
    }
  }
  return family;
}

// The text exposition's families (# TYPE) and series (le normalized).
void parse_text(const std::string& text, std::map<std::string, std::string>& types,
                std::map<std::string, std::string>& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("# TYPE ")) {
      const auto space = line.find(' ', 7);
      types[line.substr(7, space - 7)] = line.substr(space + 1);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const auto value_at = line.rfind(' ');
    std::string name = line.substr(0, value_at);
    auto le = name.find(",le=\"");  // buckets only, not table="..."
    if (le == std::string::npos) le = name.find("{le=\"");
    if (le != std::string::npos) {
      const auto end = name.find('"', le + 5);
      name =
          name.substr(0, le + 5) + canonical(name.substr(le + 5, end - le - 5)) + name.substr(end);
    }
    series[name] = canonical(line.substr(value_at + 1));
  }
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

nq::testing::HttpReply get_metrics(uint16_t port, std::string_view accept, bool gzip = false) {
  std::string head = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close";
  if (!accept.empty()) head += "\r\nAccept: " + std::string(accept);
  if (gzip) head += "\r\nAccept-Encoding: gzip";
  return nq::testing::http_exchange("127.0.0.1", port, head);
}

void fire_workload(PluginUnderTest& plugin) {
  const struct {
    nq_query_type type;
    nq_query_status status;
    uint64_t duration_ns;
  } queries[] = {{NQ_QUERY_SELECT, NQ_QUERY_SUCCESS, 3'000'000},
                 {NQ_QUERY_SELECT, NQ_QUERY_SUCCESS, 40'000'000},
                 {NQ_QUERY_SELECT, NQ_QUERY_SUCCESS, 2'500'000'000},
                 {NQ_QUERY_INSERT, NQ_QUERY_ERROR, 700'000}};
  for (const auto& q : queries) {
    nq_query_begin_event begin{};
    begin.struct_size = sizeof begin;
    begin.query_type = q.type;
    plugin.fire_query_begin(begin);
    plugin.advance_clock(std::chrono::nanoseconds(q.duration_ns));
    nq_query_end_event end{};
    end.struct_size = sizeof end;
    end.query_type = q.type;
    end.status = q.status;
    end.duration_ns = q.duration_ns;
    plugin.fire_query_end(end);
  }
}

class ProtobufExposition : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(plugin_.load(NQ_PLUGIN_PATH, error)) << error;
    fire_workload(plugin_);
    char dir[] = "/tmp/nq-protobuf-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    plugin_.unload();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Every family of a protobuf body, decoded by protoc.
  std::vector<DecodedFamily> decode(const std::string& body) {
    std::string error;
    const auto messages = nq::testing::split_delimited(body, error);
    EXPECT_TRUE(error.empty()) << error;
    std::vector<DecodedFamily> families;
    for (const std::string& m : messages) {
      const auto text = nq::testing::protoc_decode_family(m, dir_, error);
      if (!text) {
        ADD_FAILURE() << error;
        return {};
      }
      if (families.empty()) decoded_example_ = *text;
      families.push_back(parse_decoded(*text));
    }
    return families;
  }

  PluginUnderTest plugin_;
  std::string dir_;
  std::string decoded_example_;
};

TEST_F(ProtobufExposition, ProtocDecodesTheSameFamiliesAndValuesAsTheText) {
  const auto proto = get_metrics(plugin_.port(), kProtobufAccept);
  ASSERT_EQ(proto.status, 200) << proto.error;
  EXPECT_NE(proto.headers.find("Content-Type: application/vnd.google.protobuf; "
                               "proto=io.prometheus.client.MetricFamily; encoding=delimited"),
            std::string::npos)
      << proto.headers;
  const auto text = get_metrics(plugin_.port(), "text/plain;version=0.0.4");
  ASSERT_EQ(text.status, 200) << text.error;

  std::map<std::string, std::string> text_types, text_series;
  parse_text(text.body, text_types, text_series);
  const auto families = decode(proto.body);
  ASSERT_EQ(families.size(), text_types.size());

  size_t compared = 0;
  for (const DecodedFamily& family : families) {
    ASSERT_TRUE(text_types.contains(family.name)) << family.name;
    EXPECT_EQ(family.type, upper(text_types[family.name])) << family.name;
    if (moves_between_scrapes(family.name)) continue;
    for (const auto& [series, value] : family.series) {
      ASSERT_TRUE(text_series.contains(series)) << series << " is not in the text exposition";
      EXPECT_EQ(value, text_series[series]) << series;
      ++compared;
    }
  }
  // And no series of the text is missing from the protobuf.
  size_t text_compared = 0;
  for (const auto& [series, value] : text_series) {
    const std::string name = series.substr(0, series.find('{'));
    if (!moves_between_scrapes(name)) ++text_compared;
  }
  EXPECT_EQ(compared, text_compared);
  EXPECT_GT(compared, 100u);

  // Spot checks of what the workload recorded.
  const auto find = [&](const std::string& series) {
    for (const auto& f : families) {
      if (auto it = f.series.find(series); it != f.series.end()) return it->second;
    }
    return std::string("(absent)");
  };
  EXPECT_EQ(find(R"(neuroquantum_queries_total{query_type="select",status="success"})"), "3");
  EXPECT_EQ(find(R"(neuroquantum_query_duration_seconds_count{query_type="select"})"), "3");
  EXPECT_EQ(find(R"(neuroquantum_query_duration_seconds_bucket{query_type="select",le="inf"})"),
            "3");
  std::cout << "protoc decoded " << families.size() << " families, " << compared
            << " series compared; the first:\n"
            << decoded_example_;
}

TEST_F(ProtobufExposition, GzipWhenAllowed) {
  const auto plain = get_metrics(plugin_.port(), kProtobufAccept);
  const auto gzipped = get_metrics(plugin_.port(), kProtobufAccept, true);
  ASSERT_EQ(gzipped.status, 200) << gzipped.error;
  EXPECT_NE(gzipped.headers.find("Content-Encoding: gzip"), std::string::npos);
  const std::string body = nq::testing::gunzip(gzipped.body);
  EXPECT_EQ(decode(body).size(), decode(plain.body).size());
}

// The native buckets of the real plugin (native_histograms=true): protoc's
// schema, zero bucket, spans and deltas give back, bucket by bucket, the
// counts of the recorded durations (bucket i = ceil(log2(seconds) * 2^schema)).
// With `reload_between`, the plugin is hot-reloaded to the other build before
// the scrape: the native buckets come through the state hand-over.
void expect_native_counts_of_recorded_durations(bool reload_between) {
  PluginUnderTest plugin(nq::testing::Settings{{"native_histograms", "true"}});
  std::string error;
  ASSERT_TRUE(plugin.load(NQ_PLUGIN_PATH, error)) << error;
  std::map<int, uint64_t> expected;
  uint64_t zero = 0, total = 0;
  const auto record = [&](uint64_t ns) {
    nq_query_end_event end{};
    end.struct_size = sizeof end;
    end.query_type = NQ_QUERY_SELECT;
    end.status = NQ_QUERY_SUCCESS;
    end.duration_ns = ns;
    plugin.fire_query_end(end);
    ++total;
    const double seconds = static_cast<double>(ns) / 1e9;
    if (seconds <= 1e-6) {
      ++zero;
      return;
    }
    const double position = std::log2(seconds) * 8;
    ASSERT_GT(std::abs(position - std::round(position)), 1e-9) << ns << " is next to a bound";
    ++expected[static_cast<int>(std::ceil(position))];
  };
  record(0);
  record(1000);  // 1 µs: the zero bucket holds the threshold itself
  for (uint64_t k = 1; k <= 3000; ++k) record(k * k * 1'370 + 2'001);  // 2 µs .. 12 s
  if (reload_between) {
    ASSERT_TRUE(plugin.reload(NQ_ALTERNATE_PLUGIN_PATH, error)) << error;
  }

  const auto reply = get_metrics(plugin.port(), kProtobufAccept);
  ASSERT_EQ(reply.status, 200) << reply.error;
  char dir[] = "/tmp/nq-protobuf-native-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string decoded;
  for (const std::string& m : nq::testing::split_delimited(reply.body, error)) {
    const auto text = nq::testing::protoc_decode_family(m, dir, error);
    ASSERT_TRUE(text) << error;
    if (text->starts_with("name: \"neuroquantum_query_duration_seconds\"")) decoded = *text;
  }
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(decoded.empty());
  // The select series is the first metric: its histogram's native fields.
  const size_t select = decoded.find("\nmetric {");
  std::istringstream lines(decoded.substr(select, decoded.find("\nmetric {", select + 1) - select));
  ASSERT_NE(lines.str().find("value: \"select\""), std::string::npos) << lines.str();
  int schema = -100, offset = 0, index = 0;
  uint64_t zero_count = 0, sample_count = 0, previous = 0;
  std::vector<std::pair<int, uint32_t>> spans;
  std::vector<int64_t> deltas;
  for (std::string line; std::getline(lines, line);) {
    const std::string l = line.substr(std::min(line.find_first_not_of(' '), line.size()));
    if (l.starts_with("schema: ")) schema = std::stoi(field_value(l));
    if (l.starts_with("zero_threshold: ")) {
      EXPECT_EQ(field_value(l), "1e-06");
    }
    if (l.starts_with("zero_count: ")) zero_count = std::stoull(field_value(l));
    if (l.starts_with("sample_count: ")) sample_count = std::stoull(field_value(l));
    if (l.starts_with("offset: ")) offset = std::stoi(field_value(l));
    if (l.starts_with("length: ")) spans.emplace_back(offset, std::stoul(field_value(l)));
    if (l.starts_with("positive_delta: ")) deltas.push_back(std::stoll(field_value(l)));
  }
  EXPECT_EQ(schema, 3) << decoded;
  EXPECT_EQ(zero_count, zero);
  EXPECT_EQ(sample_count, total);
  std::map<int, uint64_t> scraped;
  size_t d = 0;
  for (size_t s = 0; s < spans.size(); ++s) {
    index = s == 0 ? spans[s].first : index + spans[s].first;
    for (uint32_t k = 0; k < spans[s].second; ++k, ++index, ++d) {
      ASSERT_LT(d, deltas.size());
      previous = static_cast<uint64_t>(static_cast<int64_t>(previous) + deltas[d]);
      if (previous != 0) scraped[index] = previous;
    }
  }
  EXPECT_EQ(d, deltas.size());
  EXPECT_EQ(scraped, expected);
  plugin.unload();
}

TEST(ProtobufNativeHistogram, SpansAndDeltasReproduceTheRecordedCounts) {
  expect_native_counts_of_recorded_durations(false);
}

TEST(ProtobufNativeHistogram, TheCountsSurviveAHotReload) {
  expect_native_counts_of_recorded_durations(true);
}

}  // namespace
