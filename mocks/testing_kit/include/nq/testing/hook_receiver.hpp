// The hooks of the ABI as a C++ interface: one virtual method per hook. What
// libnq_mock_plugin.so forwards every hook call to (MockPlugin implements it
// with GMock; a test may implement it by hand too).
//
// Thread-safety: the methods are called from the engine's hook-calling
// threads, concurrently.
#pragma once

#include "nq/nq_plugin_abi.h"

namespace nq::testing {

class HookReceiver {
 public:
  virtual ~HookReceiver() = default;
#define NQ_TESTING_RECEIVE_HOOK(name, event_type, doc) \
  virtual void name(nq_thread_slot slot, const event_type* event) = 0;
  NQ_HOOK_LIST(NQ_TESTING_RECEIVE_HOOK)
#undef NQ_TESTING_RECEIVE_HOOK
};

// The setting through which libnq_mock_plugin.so finds its HookReceiver.
inline constexpr const char* kMockPluginTargetSetting = "mock_plugin.target";

}  // namespace nq::testing
