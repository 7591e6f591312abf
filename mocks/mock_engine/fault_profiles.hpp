// Fault profiles: what the simulated engine does wrong on purpose, so that the
// monitoring stack can be seen to page. Each profile drives the metrics past
// the threshold of one or more alerts of monitoring-stack/rules (named in the
// list below) within seconds: rates are ten times the thresholds or more,
// because a 5-minute rate() of a series seconds old is still small. Chosen in the config
// (`[workload] faults = [...]`) or with `nq-mock-engine --fault NAME`.
//
// Thread-safety: FaultSet is a value. A FaultInjector is used by the one
// background thread that owns it.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "nq/nq_host.h"

namespace nq::mock {

// The list, declared once: X(enumerator, "name", "what it does").
#define NQ_MOCK_FAULT_PROFILES(X)                                                                 \
  X(slow_queries, "slow-queries",                                                                 \
    "300 statements/s take 2-5 s (HighQueryLatency, HighSlowQueryRate)")                          \
  X(lock_storm, "lock-storm", "100 s of lock waiting per second, deadlocks (HighLockContention)") \
  X(buffer_thrash, "buffer-thrash",                                                               \
    "most page requests miss the buffer pool (LowBufferPoolHitRatio)")                            \
  X(ws_drops, "ws-drops",                                                                         \
    "200 WebSocket disconnects/s by error or timeout (WebSocketConnectionDrop)")                  \
  X(queue_buildup, "queue-buildup", "150 statements wait for admission (QueryQueueBuildup)")      \
  X(errors, "errors", "200 engine errors/s (HighErrorRate)")                                      \
  X(wal_burst, "wal-burst", "150 MiB/s appended to the WAL (HighWALGrowthRate)")                  \
  X(memory_pressure, "memory-pressure", "memory use at 92% of the limit (HighMemoryUsage)")       \
  X(disk_full, "disk-full", "5% of the data file system free (LowDiskSpace)")                     \
  X(quantum_failures, "quantum-failures", "quantum operations fail (QuantumOperationFailures)")   \
  X(pool_saturation, "pool-saturation",                                                           \
    "190 of 200 client connections open (ConnectionPoolSaturation)")                              \
  X(unused_index, "unused-index", "more indexes that no statement uses (UnusedIndexDetected)")

enum class Fault : uint8_t {
#define NQ_MOCK_FAULT_ENUM(id, name, what) id,
  NQ_MOCK_FAULT_PROFILES(NQ_MOCK_FAULT_ENUM)
#undef NQ_MOCK_FAULT_ENUM
      count
};

using FaultSet = std::bitset<static_cast<size_t>(Fault::count)>;

std::optional<Fault> fault_by_name(std::string_view name);
// "slow-queries, lock-storm" ("none" when empty).
std::string describe(const FaultSet& faults);
// One line per profile: "  name  what it does".
std::string fault_profiles_help();

// Sends the events of the chosen faults, once per background tick (100 ms).
class FaultInjector {
 public:
  FaultInjector(nq_host* host, FaultSet faults) : host_(host), faults_(faults) {}
  ~FaultInjector();  // lets the queued statements and held connections go
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  void tick(std::mt19937_64& rng, bool first);
  // Overrides of the gauges the engine samples (memory, storage).
  void adjust_gauge(nq_gauge gauge, double& value) const;

 private:
  bool on(Fault f) const { return faults_.test(static_cast<size_t>(f)); }

  nq_host* const host_;
  const FaultSet faults_;
  std::vector<uint64_t> queued_;       // query ids held in the admission queue
  std::vector<uint64_t> connections_;  // client connections held open
  uint64_t next_id_ = uint64_t{1} << 56;
};

}  // namespace nq::mock
