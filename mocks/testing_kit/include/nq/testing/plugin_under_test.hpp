// A plugin .so loaded into an in-process mock engine, for tests of a plugin
// or of an engine's hook calls: the real host runtime (real dlopen, real
// hot reload), GMock engine services with a fake clock and the test's
// settings, any hook fired with chosen values, and scrapes parsed into
// samples.
//
//   nq::testing::PluginUnderTest plugin(nq::testing::Settings{{"slow_query_seconds", "0.5"}});
//   std::string error;
//   ASSERT_TRUE(plugin.load("/usr/lib/nq/libnq_metrics.so", error)) << error;
//   nq_query_end_event end{};
//   end.struct_size = sizeof end;
//   end.duration_ns = 2'000'000'000;
//   plugin.fire_query_end(end);
//   EXPECT_EQ(value_of(plugin.scrape(), "neuroquantum_slow_queries_total", {...}), 1);
//
// Settings: `listen` defaults to 127.0.0.1:0 (a free port); scrape() finds
// the port in the plugin's "serving http://HOST:PORT" log line. The fake
// clock starts at 1 s and moves only with advance_clock().
//
// Thread-safety: fire_*() may be called from any number of threads at once
// (that is what hooks are for); load/reload/unload and the clock from one.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "nq/nq_host.h"
#include "nq/testing/engine_services_mock.hpp"
#include "nq/testing/exposition_samples.hpp"
#include "nq/testing/mock_plugin.hpp"

namespace nq::testing {

// The plugin's settings, as the engine's config would give them.
using Settings = std::map<std::string, std::string>;

class PluginUnderTest {
 public:
  explicit PluginUnderTest(Settings settings = {}, uint32_t thread_slots = 8);
  ~PluginUnderTest();
  PluginUnderTest(const PluginUnderTest&) = delete;
  PluginUnderTest& operator=(const PluginUnderTest&) = delete;

  // The engine's services, to add expectations (EXPECT_CALL(plugin.engine(),
  // Log(...))); they default to the settings, the fake clock and a log kept
  // in log_lines().
  ::testing::NiceMock<MockEngineServices>& engine() { return engine_; }

  // Each returns false on failure and sets `error` to the host runtime's
  // message.
  bool load(const std::string& plugin_path, std::string& error);
  // Loads libnq_mock_plugin.so (`mock_plugin_path`: ${NQ_METRICS_MOCK_PLUGIN}
  // from find_package) forwarding every hook to `receiver` (a MockPlugin,
  // mock_plugin.hpp), which must outlive the load.
  bool load_mock(HookReceiver& receiver, const std::string& mock_plugin_path, std::string& error);
  bool reload(const std::string& plugin_path, std::string& error);
  void unload();

  void advance_clock(std::chrono::nanoseconds by) {
    clock_ns_ += static_cast<uint64_t>(by.count());
  }
  uint64_t now_ns() const { return clock_ns_.load(); }

  // One function per hook of the ABI: fire_query_begin(event), ...
#define NQ_TESTING_FIRE(name, event_type, doc) \
  void fire_##name(const event_type& event) {  \
    nq_host_##name(host_, &event);             \
  }
  NQ_HOOK_LIST(NQ_TESTING_FIRE)
#undef NQ_TESTING_FIRE

  nq_host* host() {
    return host_;
  }
  std::vector<std::string> log_lines() const;

  // GET `path` of the plugin's listener (status 200 expected) as samples;
  // a failed scrape or a malformed exposition fails the current test and
  // returns no samples.
  Samples scrape(const std::string& path = "/metrics");
  // The port of the "serving http://HOST:PORT" line (0 when not logged).
  uint16_t port() const;

 private:
  Settings settings_;
  std::atomic<uint64_t> clock_ns_{1'000'000'000};
  mutable std::mutex log_mutex_;
  std::vector<std::string> log_;
  ::testing::NiceMock<MockEngineServices> engine_;
  nq_host* host_ = nullptr;
};

}  // namespace nq::testing
