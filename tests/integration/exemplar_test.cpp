// Exemplars of the real plugin over real HTTP: a traced statement (ABI 1.2
// trace context) becomes the exemplar of its duration bucket and of its
// digest counters, in OpenMetrics and in protobuf (decoded by protoc), never
// in text 0.0.4; its timestamp is the engine's time of the statement carried
// over to the Unix clock at the scrape.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "nq/testing/http_client.hpp"
#include "nq/testing/plugin_under_test.hpp"
#include "protobuf_decode.hpp"

namespace {

using nq::testing::PluginUnderTest;
using namespace std::chrono_literals;

constexpr std::string_view kOpenMetrics = "application/openmetrics-text;version=1.0.0";
constexpr std::string_view kText = "text/plain;version=0.0.4";
constexpr std::string_view kProtobuf =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

constexpr char kTraceHex[] = "0102030405060708090a0b0c0d0e0fa0";
constexpr char kSpanHex[] = "a1a2a3a4a5a6a7a8";

std::string scrape_as(uint16_t port, std::string_view accept) {
  const auto reply = nq::testing::http_exchange(
      "127.0.0.1", port,
      "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAccept: " +
          std::string(accept));
  EXPECT_EQ(reply.status, 200) << reply.error;
  return reply.body;
}

// The exposition line that starts with `series` (then a space), or "".
std::string line_of(const std::string& exposition, const std::string& series) {
  const std::string start = series + " ";
  for (size_t at = 0; at < exposition.size();) {
    const size_t end = exposition.find('\n', at);
    const std::string line = exposition.substr(at, end - at);
    if (line.starts_with(start)) return line;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return "";
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class Exemplars : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(plugin_.load(NQ_PLUGIN_PATH, error)) << error;
    plugin_.advance_clock(100s);
  }
  void TearDown() override { plugin_.unload(); }

  // A select of `duration` with digest "d1" in database "shop", ended at the
  // engine time `ended_ns` (0: not given); traced when `traced`.
  void fire_select(std::chrono::nanoseconds duration, bool traced, uint64_t ended_ns,
                   uint8_t trace_last_byte = 0xa0) {
    nq_query_begin_event begin{};
    begin.struct_size = sizeof begin;
    begin.query_type = NQ_QUERY_SELECT;
    begin.digest = {"d1", 2};
    begin.normalized_text = {"SELECT ?", 8};
    begin.database = {"shop", 4};
    plugin_.fire_query_begin(begin);
    nq_query_end_event end{};
    end.struct_size = sizeof end;
    end.query_type = NQ_QUERY_SELECT;
    end.status = NQ_QUERY_SUCCESS;
    end.duration_ns = static_cast<uint64_t>(duration.count());
    end.digest = {"d1", 2};
    end.database = {"shop", 4};
    if (traced) {
      for (uint8_t i = 0; i < 15; ++i) end.trace_id[i] = i + 1;
      end.trace_id[15] = trace_last_byte;
      for (uint8_t i = 0; i < 8; ++i) end.span_id[i] = 0xa1 + i;
    }
    end.timestamp_ns = ended_ns;
    plugin_.fire_query_end(end);
  }

  PluginUnderTest plugin_;
};

TEST_F(Exemplars, ATracedStatementIsTheExemplarOfItsBucketAndOfItsDigest) {
  // Ended 2 s (of the engine's clock) before the scrape.
  fire_select(3ms, true, plugin_.now_ns());
  plugin_.advance_clock(2s);
  const double scraped_at = unix_now();
  const std::string body = scrape_as(plugin_.port(), kOpenMetrics);

  const std::string bucket = line_of(
      body, R"(neuroquantum_query_duration_seconds_bucket{query_type="select",le="0.005"})");
  const std::string prefix =
      std::string(" # {trace_id=\"") + kTraceHex + "\",span_id=\"" + kSpanHex + "\"} 0.003 ";
  const size_t at = bucket.find(prefix);
  ASSERT_NE(at, std::string::npos) << bucket;
  const double timestamp = std::strtod(bucket.c_str() + at + prefix.size(), nullptr);
  EXPECT_NEAR(timestamp, scraped_at - 2, 0.5) << bucket;

  // Only that bucket: the +Inf bucket counts it too but holds no exemplar.
  EXPECT_EQ(
      line_of(body, R"(neuroquantum_query_duration_seconds_bucket{query_type="select",le="+Inf"})")
          .find(" # "),
      std::string::npos);

  const std::string calls =
      line_of(body, R"(neuroquantum_query_digest_calls_total{database="shop",digest="d1"})");
  EXPECT_NE(calls.find(std::string(" # {trace_id=\"") + kTraceHex), std::string::npos) << calls;
  EXPECT_NE(calls.find("\"} 1 "), std::string::npos) << calls;
  const std::string seconds = line_of(
      body, R"(neuroquantum_query_digest_duration_seconds_total{database="shop",digest="d1"})");
  EXPECT_NE(seconds.find("\"} 0.003 "), std::string::npos) << seconds;
  std::cout << bucket << "\n" << calls << "\n";
}

TEST_F(Exemplars, NeverInTextFormat) {
  fire_select(3ms, true, plugin_.now_ns());
  const std::string body = scrape_as(plugin_.port(), kText);
  ASSERT_NE(body.find("neuroquantum_query_duration_seconds_bucket"), std::string::npos);
  EXPECT_EQ(body.find("trace_id"), std::string::npos);
}

TEST_F(Exemplars, AnUntracedStatementLeavesNone) {
  fire_select(3ms, false, plugin_.now_ns());
  const std::string body = scrape_as(plugin_.port(), kOpenMetrics);
  ASSERT_NE(body.find("neuroquantum_query_duration_seconds_bucket"), std::string::npos);
  EXPECT_EQ(body.find(" # {"), std::string::npos);
}

TEST_F(Exemplars, TheLatestTracedStatementOfABucketWins) {
  fire_select(3ms, true, plugin_.now_ns(), 0x01);
  plugin_.advance_clock(1s);  // a cell keeps an exemplar for 100 ms of engine time
  fire_select(4ms, true, plugin_.now_ns(), 0x02);
  fire_select(4ms, false, plugin_.now_ns());  // untraced: replaces nothing
  const std::string bucket =
      line_of(scrape_as(plugin_.port(), kOpenMetrics),
              R"(neuroquantum_query_duration_seconds_bucket{query_type="select",le="0.005"})");
  EXPECT_NE(bucket.find("0e0f02\",span_id"), std::string::npos) << bucket;
  EXPECT_NE(bucket.find("\"} 0.004 "), std::string::npos) << bucket;
}

TEST_F(Exemplars, WithoutTheEnginesTimeTheExemplarIsUndated) {
  fire_select(3ms, true, 0);
  const std::string bucket =
      line_of(scrape_as(plugin_.port(), kOpenMetrics),
              R"(neuroquantum_query_duration_seconds_bucket{query_type="select",le="0.005"})");
  EXPECT_TRUE(bucket.ends_with("\"} 0.003")) << bucket;
}

TEST_F(Exemplars, InProtobufOnTheBucketAndTheCounter) {
  fire_select(3ms, true, plugin_.now_ns());
  const std::string body = scrape_as(plugin_.port(), kProtobuf);
  std::string error;
  const auto messages = nq::testing::split_delimited(body, error);
  ASSERT_TRUE(error.empty()) << error;
  char dir[] = "/tmp/nq-exemplar-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string duration, calls;
  for (const std::string& m : messages) {
    const auto text = nq::testing::protoc_decode_family(m, dir, error);
    ASSERT_TRUE(text) << error;
    if (text->find("name: \"neuroquantum_query_duration_seconds\"") != std::string::npos) {
      duration = *text;
    }
    if (text->find("name: \"neuroquantum_query_digest_calls_total\"") != std::string::npos) {
      calls = *text;
    }
  }
  std::filesystem::remove_all(dir);
  // protoc prints bytes fields escaped and string fields as they are; the
  // trace id is a label value: hex text.
  for (const std::string* family : {&duration, &calls}) {
    EXPECT_NE(family->find("exemplar {"), std::string::npos) << *family;
    EXPECT_NE(family->find(std::string("value: \"") + kTraceHex + "\""), std::string::npos)
        << *family;
    EXPECT_NE(family->find(std::string("value: \"") + kSpanHex + "\""), std::string::npos)
        << *family;
  }
  EXPECT_NE(duration.find("value: 0.003"), std::string::npos) << duration;
  EXPECT_NE(duration.find("timestamp {"), std::string::npos) << duration;
  std::cout << duration.substr(duration.find("exemplar {") - 120, 400) << "\n";
}

}  // namespace
