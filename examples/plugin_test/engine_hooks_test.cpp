// Worked example for engine developers: checking the engine's hook calls
// with a GMock plugin (MockPlugin) loaded through the real host runtime.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "nq/testing/mock_plugin.hpp"
#include "nq/testing/plugin_under_test.hpp"

namespace {

using ::testing::_;
using ::testing::Field;
using ::testing::Pointee;

// The engine code under test: the WAL reports each fsync with its duration.
void wal_fsync_done(nq_host* host, uint64_t took_ns) {
  nq_wal_fsync_event e{};
  e.struct_size = sizeof e;
  e.duration_ns = took_ns;
  nq_host_wal_fsync(host, &e);
}

TEST(EngineHooks, WalFsyncIsReportedOnceWithItsDuration) {
  nq::testing::MockPlugin plugin;
  EXPECT_CALL(plugin, wal_fsync(_, Pointee(Field(&nq_wal_fsync_event::duration_ns, 1'500'000u))))
      .Times(1);
  nq::testing::PluginUnderTest engine;
  std::string error;
  ASSERT_TRUE(engine.load_mock(plugin, NQ_MOCK_PLUGIN, error)) << error;
  wal_fsync_done(engine.host(), 1'500'000);
  engine.unload();
}

}  // namespace
