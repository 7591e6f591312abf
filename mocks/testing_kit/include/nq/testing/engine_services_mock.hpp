// GMock mock of the engine services a plugin receives (nq_engine_services):
// the log, the monotonic clock and the settings lookup, as C++ methods a test
// can put expectations on. services() is the C table to hand to a host
// runtime (nq_host_options.services) or straight to a plugin's create().
//
//   ::testing::NiceMock<nq::testing::MockEngineServices> engine;
//   EXPECT_CALL(engine, Log(NQ_LOG_ERROR, ::testing::HasSubstr("cannot listen")));
//
// Thread-safety: the services may be called from any thread (GMock's mocks
// are thread-safe); set expectations before the plugin can call them.
#pragma once

#include <gmock/gmock.h>

#include <cstdint>
#include <optional>
#include <string>

#include "nq/nq_plugin_abi.h"

namespace nq::testing {

class MockEngineServices {
 public:
  explicit MockEngineServices(uint32_t thread_slots = 8);
  MockEngineServices(const MockEngineServices&) = delete;
  MockEngineServices& operator=(const MockEngineServices&) = delete;

  MOCK_METHOD(void, Log, (nq_log_level level, const std::string& message));
  MOCK_METHOD(uint64_t, MonotonicNs, ());
  // The value of a setting of the plugin, or nullopt when it is not set.
  MOCK_METHOD(std::optional<std::string>, ConfigLookup, (const std::string& key));

  const nq_engine_services& services() const { return services_; }

 private:
  nq_engine_services services_{};
};

}  // namespace nq::testing
