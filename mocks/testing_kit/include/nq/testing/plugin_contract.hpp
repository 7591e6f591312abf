// The plugin contract: parameterized GoogleTest cases any plugin of the ABI
// can be run through. Include this header in exactly one test file of your
// suite and instantiate it with your plugin:
//
//   #include "nq/testing/plugin_contract.hpp"
//   using nq::testing::PluginContract;
//   INSTANTIATE_TEST_SUITE_P(MyPlugin, PluginContract,
//       ::testing::Values(nq::testing::PluginContractTarget{
//           "/path/to/libmy_plugin.so", "my_plugin_malformed_events_total", {}}));
//
// What a plugin must do, whatever the engine sends it (docs/TESTING-HOOKS.md):
//   MalformedEventsAreCountedNotRead  a NULL event or one whose struct_size is
//                                     too small is counted in the plugin's
//                                     malformed-events counter, never read;
//   HostileValuesAreSurvived          strings that are NULL with a length,
//                                     empty, 1 MiB long, invalid UTF-8 or with
//                                     NUL bytes, every number at 0 and at its
//                                     maximum (durations of 0 and 2^64-1 ns,
//                                     enums out of range): no crash, and the
//                                     exposition still parses;
//   EndsWithoutBeginsAreSurvived      query end, queue leave, disconnects and
//                                     stream ends that never began;
//   ConcurrentHookCallsNeverBlock     4 threads calling every hook while the
//                                     plugin is scraped: no call makes its
//                                     thread wait (the kernel's count of the
//                                     thread's voluntary context switches
//                                     stays put; preemption by a busy
//                                     machine does not count).
// The plugin is loaded with PluginUnderTest (real host runtime, real dlopen)
// and must serve its exposition over HTTP and log "serving http://HOST:PORT".
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "nq/nq_abi_cpp.hpp"
#include "nq/testing/plugin_under_test.hpp"

namespace nq::testing {

struct PluginContractTarget {
  std::string plugin_path;
  std::string malformed_counter;  // counter family of malformed events (summed over labels)
  Settings settings;
};

inline void PrintTo(const PluginContractTarget& t, std::ostream* os) {
  *os << t.plugin_path;
}

namespace contract_detail {

// How often the calling thread has waited (blocked on a lock, slept, waited
// for I/O) since it started; being preempted does not count.
inline long voluntary_context_switches() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_nvcsw;
}

// Points every string field of an event at `s`; events without strings have
// none to set.
template <class Event>
void set_strings(Event&, nq_str) {}
inline void set_strings(nq_query_begin_event& e, nq_str s) {
  e.digest = e.normalized_text = e.database = e.user = e.application = s;
}
inline void set_strings(nq_query_end_event& e, nq_str s) {
  e.digest = e.error_type = e.database = e.user = e.application = s;
}
inline void set_strings(nq_connection_error_event& e, nq_str s) {
  e.reason = s;
}
inline void set_strings(nq_lock_wait_event& e, nq_str s) {
  e.resource = s;
}
inline void set_strings(nq_index_event& e, nq_str s) {
  e.table = e.index = s;
}
inline void set_strings(nq_index_scan_event& e, nq_str s) {
  e.table = e.index = s;
}
inline void set_strings(nq_ws_message_event& e, nq_str s) {
  e.channel = s;
}
inline void set_strings(nq_ws_channel_event& e, nq_str s) {
  e.channel = s;
}
inline void set_strings(nq_error_event& e, nq_str s) {
  e.subsystem = e.error_type = s;
}
inline void set_strings(nq_quantum_operation_event& e, nq_str s) {
  e.operation = s;
}

// An event whose every byte after struct_size is `fill` (0x00: zeros, 0xFF:
// every number at its maximum and enums out of range), strings set to `s`.
template <class Event>
Event make_event(unsigned char fill, nq_str s) {
  Event e;
  std::memset(&e, fill, sizeof e);
  e.struct_size = sizeof e;
  set_strings(e, s);
  return e;
}

// Fires every hook of the ABI once with make_event(fill, s); returns how many.
inline size_t fire_every_hook(PluginUnderTest& plugin, unsigned char fill, nq_str s) {
  size_t fired = 0;
#define NQ_CONTRACT_FIRE(name, event_type, doc)        \
  plugin.fire_##name(make_event<event_type>(fill, s)); \
  ++fired;
  NQ_HOOK_LIST(NQ_CONTRACT_FIRE)
#undef NQ_CONTRACT_FIRE
  return fired;
}

}  // namespace contract_detail

class PluginContract : public ::testing::TestWithParam<PluginContractTarget> {
 protected:
  void SetUp() override {
    plugin_ = std::make_unique<PluginUnderTest>(GetParam().settings);
    std::string error;
    ASSERT_TRUE(plugin_->load(GetParam().plugin_path, error))
        << "the plugin does not load: " << error;
  }
  PluginUnderTest& plugin() { return *plugin_; }

  // Scrapes: the exposition must still be served and parse (scrape() fails
  // the test otherwise) and hold samples.
  void expect_valid_exposition() {
    const Samples samples = plugin().scrape();
    EXPECT_FALSE(samples.empty()) << "no samples";
  }

 private:
  std::unique_ptr<PluginUnderTest> plugin_;
};

TEST_P(PluginContract, MalformedEventsAreCountedNotRead) {
  const double before = sum_of(plugin().scrape(), GetParam().malformed_counter);
  size_t malformed = 0;
#define NQ_CONTRACT_MALFORMED(name, event_type, doc)                            \
  nq_host_##name(plugin().host(), nullptr);                                     \
  {                                                                             \
    event_type short_event;                                                     \
    std::memset(&short_event, 0xAB, sizeof short_event); /* never to be read */ \
    short_event.struct_size = 4;                                                \
    plugin().fire_##name(short_event);                                          \
  }                                                                             \
  malformed += 2;
  NQ_HOOK_LIST(NQ_CONTRACT_MALFORMED)
#undef NQ_CONTRACT_MALFORMED
  const double after = sum_of(plugin().scrape(), GetParam().malformed_counter);
  EXPECT_EQ(after - before, static_cast<double>(malformed))
      << "every NULL or too small event counts in " << GetParam().malformed_counter;
}

TEST_P(PluginContract, HostileValuesAreSurvived) {
  const std::string huge(1 << 20, 'x');
  const std::string invalid_utf8 = "caf\xC3(\xFF\xFE\xED\xA0\x80";
  const std::string with_nul("a\0b\0c", 5);
  const std::vector<nq_str> strings = {
      {nullptr, 17},  // NULL with a length
      {"", 0},
      nq::to_nq_str(huge),
      nq::to_nq_str(invalid_utf8),
      nq::to_nq_str(with_nul),
      {"quote\" back\\slash\nnewline", 25},
  };
  for (const unsigned char fill : {0x00, 0xFF}) {
    for (const nq_str s : strings) contract_detail::fire_every_hook(plugin(), fill, s);
  }
  expect_valid_exposition();
}

TEST_P(PluginContract, EndsWithoutBeginsAreSurvived) {
  const nq_str none{"", 0};
  for (int i = 0; i < 1000; ++i) {
    plugin().fire_query_end(contract_detail::make_event<nq_query_end_event>(0, none));
    plugin().fire_query_queue_leave(contract_detail::make_event<nq_query_queue_event>(0, none));
    plugin().fire_connection_close(contract_detail::make_event<nq_connection_event>(0, none));
    plugin().fire_ws_disconnect(contract_detail::make_event<nq_ws_disconnect_event>(0, none));
    plugin().fire_ws_stream_end(contract_detail::make_event<nq_ws_stream_event>(0, none));
    plugin().fire_ws_unsubscribe(contract_detail::make_event<nq_ws_channel_event>(0, none));
  }
  expect_valid_exposition();
}

TEST_P(PluginContract, ConcurrentHookCallsNeverBlock) {
  constexpr int kThreads = 4;
  const auto run_for = std::chrono::milliseconds(400);
  std::atomic<bool> stop{false};
  std::vector<long> waits(kThreads, 0);
  std::vector<size_t> calls(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string value = "value-" + std::to_string(t);
      const nq_str s = nq::to_nq_str(value);
      // The first round may wait once (the host hands the thread its slot).
      calls[t] += contract_detail::fire_every_hook(plugin(), 0, s);
      const long waits_before = contract_detail::voluntary_context_switches();
      while (!stop.load(std::memory_order_relaxed)) {
        calls[t] += contract_detail::fire_every_hook(plugin(), 0, s);
      }
      waits[t] = contract_detail::voluntary_context_switches() - waits_before;
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + run_for;
  while (std::chrono::steady_clock::now() < deadline) {
    plugin().scrape();  // serving while hooks are called
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_GT(calls[t], 1u);
    EXPECT_EQ(waits[t], 0) << "thread " << t << " waited " << waits[t]
                           << " time(s) inside hook calls (a lock, a sleep or blocking I/O on "
                              "the hook path)";
  }
  expect_valid_exposition();
}

}  // namespace nq::testing
