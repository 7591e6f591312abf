// Simulated query traffic: worker threads that issue query begin/end hook
// events through the host runtime at the configured rate and mix.
//
// Thread-safety: start() and stop() are called from one controlling thread.
// issued() may be called from any thread while the workers run.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine_config.hpp"
#include "nq/nq_host.h"
#include "trace_log.hpp"

namespace nq::mock {

class Workload {
 public:
  // `trace_log`: where traced statements are written, or nullptr.
  Workload(const WorkloadConfig& config, nq_host* host, uint64_t seed,
           TraceLog* trace_log = nullptr);
  ~Workload() { stop(); }
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  void start();
  void stop();  // wakes and joins the workers

  // Queries finished so far, by nq_query_type.
  std::array<uint64_t, NQ_QUERY_TYPE_COUNT> issued() const;

 private:
  void run_worker(uint32_t index);
  // Sleeps until `deadline` or stop(); false when stopping.
  bool sleep_until(std::chrono::steady_clock::time_point deadline);

  const WorkloadConfig config_;
  nq_host* const host_;
  const uint64_t seed_;
  TraceLog* const trace_log_;
  std::vector<std::thread> workers_;
  std::array<std::atomic<uint64_t>, NQ_QUERY_TYPE_COUNT> issued_{};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
};

}  // namespace nq::mock
