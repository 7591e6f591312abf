// A hostile or buggy engine, through the real plugin: strings that are NULL,
// not UTF-8, full of quotes and newlines or far too long, and a million
// distinct values for every engine-valued label. The plugin must stay valid,
// bounded and exact.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>

#include "nq/nq_abi_cpp.hpp"
#include "nq/nq_host.h"
#include "nq/testing/http_client.hpp"
#include "store/process_metrics.hpp"
#include "test_engine.hpp"

namespace {

using nq::make_event;
using nq::to_nq_str;

using nq::testing::http_get;
using nq::testing::sample_value;

class HostileEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.settings["listen"] = "127.0.0.1:0";
    host_ = engine_.create_host();
    char err[512];
    ASSERT_EQ(nq_host_load(host_, NQ_PLUGIN_PATH, err, sizeof err), NQ_OK) << err;
  }
  void TearDown() override { nq_host_destroy(host_); }

  std::string scrape() {
    const auto reply = http_get("127.0.0.1", engine_.metrics_port(), "/metrics");
    EXPECT_EQ(reply.status, 200) << reply.error;
    return reply.body;
  }

  nq::testing::TestEngine engine_;
  nq_host* host_ = nullptr;
};

// Samples of `name` (lines "name{" or "name "): how many, and their sum.
std::pair<size_t, double> samples_of(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  std::string line;
  size_t n = 0;
  double sum = 0;
  while (std::getline(lines, line)) {
    if (line.rfind(name, 0) == 0 && (line[name.size()] == '{' || line[name.size()] == ' ')) {
      ++n;
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return {n, sum};
}

bool promtool_accepts(const std::string& text) {
  const std::string file = "/tmp/nq_hostile_" + std::to_string(getpid()) + ".txt";
  std::ofstream(file) << text;
  const int status =
      std::system(("promtool check metrics < " + file + " > " + file + ".out 2>&1").c_str());
  std::ifstream out(file + ".out");
  std::stringstream complaints;
  complaints << out.rdbuf();
  std::remove(file.c_str());
  std::remove((file + ".out").c_str());
  EXPECT_EQ(complaints.str(), "");
  return status == 0 && complaints.str().empty();
}

TEST_F(HostileEngine, MalformedStringsAreSanitizedAndEscaped) {
  auto error = make_event<nq_error_event>();
  const std::string quoted = "we\"ird\\sub\nsystem", not_utf8 = "\xff\xfe\xc3";
  error.subsystem = to_nq_str(quoted);
  error.error_type = to_nq_str(not_utf8);
  nq_host_error(host_, &error);
  error.subsystem = {nullptr, 12};  // NULL with a length
  error.error_type = {"", 0};
  nq_host_error(host_, &error);
  auto lock = make_event<nq_lock_wait_event>();
  const std::string huge(100'000, 'r');
  lock.resource = to_nq_str(huge);
  lock.lock_type = 1234;  // out of range: folds into "other"
  lock.wait_ns = 1'000;
  nq_host_lock_wait_end(host_, &lock);
  auto begin = make_event<nq_query_begin_event>();
  const std::string digest = "d1",
                    raw = "SELECT * FROM users WHERE password = 'hunter2' AND id = 42";
  begin.digest = to_nq_str(digest);
  begin.normalized_text = to_nq_str(raw);  // a buggy engine sends the raw statement
  nq_host_query_begin(host_, &begin);

  const std::string text = scrape();
  EXPECT_EQ(
      sample_value(
          text, R"(neuroquantum_errors_total{subsystem="we\"ird\\sub?system",error_type="???"})"),
      1);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_errors_total{subsystem="unknown",error_type="unknown"})"),
      1);
  EXPECT_EQ(sample_value(text, "neuroquantum_lock_resource_wait_seconds_total{resource=\"" +
                                   std::string(128, 'r') + "\",lock_type=\"other\"}"),
            1e-6);
  EXPECT_EQ(
      sample_value(
          text,
          R"(neuroquantum_query_digest_info{database="",digest="d1",query="SELECT * FROM users WHERE password = ? AND id = ?"})"),
      1);
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << "a literal reached the exposition";
  EXPECT_TRUE(promtool_accepts(text));
}

// One engine-valued label, flooded with distinct values.
struct Flood {
  const char* family;   // sample name to count and sum
  uint32_t bound;       // the label's default bound (series per fixed label set)
  uint32_t fixed_sets;  // fixed label combinations of the family
  std::function<void(nq_host*, const std::string&)> send;
};

TEST_F(HostileEngine, AMillionDistinctValuesPerLabelStayBoundedAndExact) {
  constexpr int kValues = 1'000'000;
  const Flood floods[] = {
      {"neuroquantum_query_errors_total", 64, 1,
       [](nq_host* h, const std::string& v) {
         auto e = make_event<nq_query_end_event>();
         e.status = NQ_QUERY_ERROR;
         e.error_type = to_nq_str(v);
         nq_host_query_end(h, &e);
       }},
      {"neuroquantum_query_digest_calls_total", 250, 1,
       [](nq_host* h, const std::string& v) {
         auto b = make_event<nq_query_begin_event>();
         b.digest = to_nq_str(v);
         b.normalized_text = to_nq_str(v);
         nq_host_query_begin(h, &b);
         auto e = make_event<nq_query_end_event>();
         e.digest = to_nq_str(v);
         nq_host_query_end(h, &e);
       }},
      {"neuroquantum_connection_errors_total", 32, 1,
       [](nq_host* h, const std::string& v) {
         auto e = make_event<nq_connection_error_event>();
         e.reason = to_nq_str(v);
         nq_host_connection_error(h, &e);
       }},
      {"neuroquantum_websocket_channel_subscribers", 100, 1,
       [](nq_host* h, const std::string& v) {
         auto e = make_event<nq_ws_channel_event>();
         e.channel = to_nq_str(v);
         nq_host_ws_subscribe(h, &e);
       }},
      {"neuroquantum_websocket_connection_dropped_messages_total", 100, 1,
       [](nq_host* h, const std::string& v) {
         auto e = make_event<nq_ws_drop_event>();
         e.connection_id = std::stoull(v.substr(1));
         e.messages = 1;
         nq_host_ws_drop(h, &e);
       }},
      {"neuroquantum_lock_resource_wait_seconds_total", 100, NQ_LOCK_TYPE_COUNT,
       [](nq_host* h, const std::string& v) {
         auto e = make_event<nq_lock_wait_event>();
         e.resource = to_nq_str(v);
         e.wait_ns = 1'000'000'000;  // 1 s: the family sums to the number of events
         nq_host_lock_wait_end(h, &e);
       }},
      {"neuroquantum_index_scans_total", 1000, 1,
       [](nq_host* h, const std::string& v) {
         auto e = make_event<nq_index_scan_event>();
         e.table = to_nq_str(v);
         e.index = to_nq_str(v);
         nq_host_index_scan(h, &e);
       }},
      {"neuroquantum_errors_total", 128, 1,
       [](nq_host* h, const std::string& v) {
         auto e = make_event<nq_error_event>();
         e.subsystem = to_nq_str(v);
         e.error_type = to_nq_str(v);
         nq_host_error(h, &e);
       }},
      {"neuroquantum_quantum_operations_total", 32, 2,
       [](nq_host* h, const std::string& v) {
         auto e = make_event<nq_quantum_operation_event>();
         e.operation = to_nq_str(v);
         nq_host_quantum_operation(h, &e);
       }},
  };
  const auto rss_before = nq::metrics::read_process_sample()->resident_memory_bytes;
  std::string value;
  for (int i = 0; i < kValues; ++i) {
    value = "v" + std::to_string(i);
    for (const Flood& flood : floods) flood.send(host_, value);
    if (i % 100'000 == 0) scrape();  // scrapes make room in top-K labels meanwhile
  }
  const std::string text = scrape();
  const double rss_growth_mib =
      (nq::metrics::read_process_sample()->resident_memory_bytes - rss_before) / (1 << 20);
  for (const Flood& flood : floods) {
    const auto [series, sum] = samples_of(text, flood.family);
    EXPECT_LE(series, size_t{flood.bound + 1} * flood.fixed_sets) << flood.family;
    EXPECT_GE(series, size_t{flood.fixed_sets}) << flood.family;
    EXPECT_DOUBLE_EQ(sum, kValues) << flood.family << ": totals are conserved";
  }
  EXPECT_LT(rss_growth_mib, 64) << "the plugin grew with the number of distinct values";
  EXPECT_TRUE(promtool_accepts(text));
}

// A million distinct databases, users and applications (ABI 1.2), each sent
// once: every breakdown keeps at most its bound of values (+ __other__), the
// overflow counter counts the statements turned away, and the totals add up.
TEST_F(HostileEngine, AMillionDatabaseNamesStayUnderTheBound) {
  constexpr int kValues = 1'000'000;
  struct Breakdown {
    const char* family;
    uint32_t bound;       // default of max_databases, max_users, max_applications
    uint32_t fixed_sets;  // status values of the family
  };
  const Breakdown breakdowns[] = {
      {"neuroquantum_database_queries_total", 64, NQ_QUERY_STATUS_COUNT},
      {"neuroquantum_user_queries_total", 100, NQ_QUERY_STATUS_COUNT},
      {"neuroquantum_application_queries_total", 32, 1}};
  constexpr int kScrapes = 10;
  std::string database, user, application;
  for (int i = 0; i < kValues; ++i) {
    database = "db" + std::to_string(i);
    user = "user" + std::to_string(i);
    application = "app" + std::to_string(i);
    auto e = make_event<nq_query_end_event>();
    e.duration_ns = 1'000'000;
    e.database = to_nq_str(database);
    e.user = to_nq_str(user);
    e.application = to_nq_str(application);
    e.trace_id[0] = 0x4b;
    e.span_id[7] = 0x01;
    nq_host_query_end(host_, &e);
    if (i % (kValues / kScrapes) == 0) scrape();  // top-K: scrapes make room for newcomers
  }
  const std::string text = scrape();
  for (const Breakdown& b : breakdowns) {
    const auto [series, sum] = samples_of(text, b.family);
    EXPECT_LE(series, size_t{b.bound + 1} * b.fixed_sets) << b.family;
    EXPECT_DOUBLE_EQ(sum, kValues) << b.family << ": totals are conserved";
    const double overflowed =
        sample_value(text, std::string("neuroquantum_plugin_label_overflow_total{family=\"") +
                               b.family + "\"}")
            .value_or(-1);
    // Turned away: every statement but those of the values that found a slot
    // (the bound at first, then what each scrape's eviction made room for).
    EXPECT_GE(overflowed, kValues - static_cast<double>(b.bound) * (kScrapes + 2)) << b.family;
    EXPECT_LE(overflowed, kValues) << b.family;
    std::cout << b.family << ": " << series << " series, " << overflowed
              << " statements counted in __other__ by the overflow counter\n";
  }
  const auto [histogram_series, unused] =
      samples_of(text, "neuroquantum_database_query_duration_seconds_count");
  EXPECT_LE(histogram_series, 65u);
  EXPECT_DOUBLE_EQ(
      sample_value(text, "neuroquantum_plugin_malformed_events_total{hook=\"query_end\"}")
          .value_or(-1),
      0);
  EXPECT_TRUE(promtool_accepts(text));
}

}  // namespace
