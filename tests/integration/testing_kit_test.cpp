// The testing kit's own pieces, as an engine developer uses them: a GMock
// plugin receiving the hook calls of "engine code" through the real host
// runtime, and the parsed exposition of the real plugin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "nq/testing/exposition_samples.hpp"
#include "nq/testing/mock_plugin.hpp"
#include "nq/testing/plugin_under_test.hpp"

namespace {

using nq::testing::MockPlugin;
using nq::testing::PluginUnderTest;
using ::testing::_;
using ::testing::AllOf;
using ::testing::Field;
using ::testing::IsNull;
using ::testing::Pointee;

// "Engine code" under test: what the lock manager reports when a wait ends.
void lock_manager_wait_ended(nq_host* host, const char* resource, uint64_t waited_ns) {
  nq_lock_wait_event e{};
  e.struct_size = sizeof e;
  e.wait_ns = waited_ns;
  e.acquired = 1;
  e.resource = {resource, std::strlen(resource)};
  nq_host_lock_wait_end(host, &e);
}

TEST(TestingKit, MockPluginReceivesTheEnginesHookCallsThroughTheHost) {
  MockPlugin plugin;
  EXPECT_CALL(plugin, lock_wait_end(_, Pointee(AllOf(Field(&nq_lock_wait_event::wait_ns, 5000u),
                                                     Field(&nq_lock_wait_event::acquired, 1u)))))
      .Times(1);
  EXPECT_CALL(plugin, deadlock(_, IsNull())).Times(1);
  PluginUnderTest engine;
  std::string error;
  ASSERT_TRUE(engine.load_mock(plugin, NQ_MOCK_PLUGIN_PATH, error)) << error;
  lock_manager_wait_ended(engine.host(), "table:orders", 5000);
  nq_host_deadlock(engine.host(), nullptr);
  engine.unload();
}

TEST(TestingKit, MockPluginWithoutItsTargetRefusesToLoad) {
  PluginUnderTest engine;
  std::string error;
  EXPECT_FALSE(engine.load(NQ_MOCK_PLUGIN_PATH, error));
  EXPECT_NE(error.find("no HookReceiver to forward to"), std::string::npos) << error;
}

TEST(TestingKit, ParsesAnExpositionIntoSamples) {
  std::string error;
  const auto samples = nq::testing::parse_exposition(
      "# HELP x_total X.\n# TYPE x_total counter\n"
      "x_total{a=\"1\",b=\"q\\\"uo\\\\te\\n\"} 3\nx_total{a=\"2\"} 4.5 1700000000000\n"
      "y NaN\nz +Inf\n",
      error);
  ASSERT_TRUE(samples) << error;
  EXPECT_EQ(nq::testing::value_of(*samples, "x_total", {{"a", "1"}, {"b", "q\"uo\\te\n"}}), 3);
  EXPECT_EQ(nq::testing::sum_of(*samples, "x_total"), 7.5);
  EXPECT_FALSE(nq::testing::value_of(*samples, "x_total", {{"a", "3"}}));
  EXPECT_FALSE(nq::testing::parse_exposition("x{a=\"1\" 3\n", error));
  EXPECT_EQ(error, "line 1: 'x{a=\"1\" 3'");
}

}  // namespace
