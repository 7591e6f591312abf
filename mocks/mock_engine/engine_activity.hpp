// The simulated engine's activity besides statements: what a query touches
// (buffer pool, disk, indexes, locks, WAL, admission queue) and what the
// server does in the background (client sessions, WebSocket traffic, gauge
// samples, errors, quantum search). Together with workload.hpp it drives every
// hook of the ABI, so that every metric family has data.
//
// Thread-safety: emit_query_io() is called by each query worker with its own
// random generator. A BackgroundActivity runs one thread of its own; start()
// and stop() are called from one controlling thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "fault_profiles.hpp"
#include "nq/nq_host.h"

namespace nq::mock {

// Hook events of one statement's execution, sent between its begin and end.
void emit_query_io(nq_host* host, std::mt19937_64& rng, nq_query_type type, uint64_t query_id);

// Announces the engine's indexes (index_created), as a server does at start.
void announce_indexes(nq_host* host);

class BackgroundActivity {
 public:
  BackgroundActivity(nq_host* host, uint64_t seed, FaultSet faults)
      : host_(host), seed_(seed), faults_(faults) {}
  ~BackgroundActivity() { stop(); }
  BackgroundActivity(const BackgroundActivity&) = delete;
  BackgroundActivity& operator=(const BackgroundActivity&) = delete;

  void start();
  void stop();

 private:
  void run();

  nq_host* const host_;
  const uint64_t seed_;
  const FaultSet faults_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
};

}  // namespace nq::mock
