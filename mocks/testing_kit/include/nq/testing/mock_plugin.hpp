// A GMock plugin: one mock method per hook of the ABI, for engine developers
// who test their hook calls ("does my executor report a lock wait, with the
// right resource and duration?") through the real host runtime.
//
//   nq::testing::MockPlugin plugin;
//   EXPECT_CALL(plugin, lock_wait_end(_, Pointee(Field(&nq_lock_wait_event::wait_ns, 5000))));
//   nq::testing::PluginUnderTest engine;
//   std::string error;
//   ASSERT_TRUE(engine.load_mock(plugin, NQ_METRICS_MOCK_PLUGIN, error)) << error;
//   my_engine_code_that_waits_for_a_lock(engine.host());
//
// load_mock() loads the kit's libnq_mock_plugin.so (a real plugin .so, loaded
// by the host like any other) and points it at this object through its
// settings; every hook call the host dispatches reaches the mock, through
// the HookReceiver interface, with the event pointer as the engine passed it
// (NULL included). The .so itself holds no GMock code.
//
// Thread-safety: the hooks may be called from any thread (GMock's mocks are
// thread-safe); the MockPlugin must outlive the load.
#pragma once

#include <gmock/gmock.h>

#include "nq/testing/hook_receiver.hpp"

namespace nq::testing {

class MockPlugin : public HookReceiver {
 public:
#define NQ_TESTING_MOCK_HOOK(name, event_type, doc) \
  MOCK_METHOD(void, name, (nq_thread_slot slot, const event_type* event), (override));
  NQ_HOOK_LIST(NQ_TESTING_MOCK_HOOK)
#undef NQ_TESTING_MOCK_HOOK
};

}  // namespace nq::testing
