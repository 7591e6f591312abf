// Worked example: testing the engine-side hook calls of "a slow statement"
// against the real metrics plugin, with the testing kit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nq/testing/plugin_under_test.hpp"

namespace {

using nq::testing::PluginUnderTest;
using nq::testing::Settings;
using nq::testing::value_of;
using ::testing::_;
using ::testing::AnyNumber;
using ::testing::HasSubstr;

// What an engine does around one statement, with durations from its clock.
void run_statement(PluginUnderTest& engine, nq_query_type type, uint64_t took_ns) {
  nq_query_begin_event begin{};
  begin.struct_size = sizeof begin;
  begin.query_type = type;
  begin.timestamp_ns = engine.now_ns();
  engine.fire_query_begin(begin);
  engine.advance_clock(std::chrono::nanoseconds(took_ns));

  nq_query_end_event end{};
  end.struct_size = sizeof end;
  end.query_type = type;
  end.status = NQ_QUERY_SUCCESS;
  end.duration_ns = took_ns;
  engine.fire_query_end(end);
}

TEST(SlowQueries, OnlyStatementsOverTheThresholdCount) {
  PluginUnderTest engine(Settings{{"slow_query_seconds", "0.5"}});
  // The plugin announces its endpoint through the engine's log (any other
  // line is allowed; the last matching expectation wins).
  EXPECT_CALL(engine.engine(), Log(_, _)).Times(AnyNumber());
  EXPECT_CALL(engine.engine(), Log(NQ_LOG_INFO, HasSubstr("serving http://"))).Times(1);
  std::string error;
  ASSERT_TRUE(engine.load(NQ_PLUGIN, error)) << error;

  run_statement(engine, NQ_QUERY_SELECT, 100'000'000);    // 0.1 s
  run_statement(engine, NQ_QUERY_SELECT, 2'000'000'000);  // 2 s: slow
  run_statement(engine, NQ_QUERY_UPDATE, 600'000'000);    // 0.6 s: slow

  const auto samples = engine.scrape();
  EXPECT_EQ(value_of(samples, "neuroquantum_queries_total",
                     {{"query_type", "select"}, {"status", "success"}}),
            2);
  EXPECT_EQ(value_of(samples, "neuroquantum_slow_queries_total", {{"query_type", "select"}}), 1);
  EXPECT_EQ(value_of(samples, "neuroquantum_slow_queries_total", {{"query_type", "update"}}), 1);
  EXPECT_EQ(value_of(samples, "neuroquantum_active_queries"), 0);
}

}  // namespace
