// The standard process_* metrics of the host process, read from /proc at
// scrape time (as the Prometheus client libraries do).
// Thread-safety: read_process_sample() may be called from any thread.
#pragma once

#include <optional>

namespace nq::metrics {

struct ProcessSample {
  double cpu_seconds = 0;
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;
};

// nullopt where /proc cannot be read (not Linux, or hidepid).
std::optional<ProcessSample> read_process_sample();

}  // namespace nq::metrics
