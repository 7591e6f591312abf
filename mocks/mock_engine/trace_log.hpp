// The traced statements the mock engine sent, one line each, so that a test
// can follow a trace id from the engine to an exemplar in Prometheus:
// "TRACE_ID SPAN_ID QUERY_TYPE DURATION_SECONDS" (ids in lowercase hex).
//
// Thread-safety: append() may be called from any number of workload threads
// (it takes a mutex: this is the mock engine's side, not the plugin's hot
// path); open() is called once, before them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace nq::mock {

class TraceLog {
 public:
  TraceLog() = default;
  ~TraceLog();
  TraceLog(const TraceLog&) = delete;
  TraceLog& operator=(const TraceLog&) = delete;

  // Opens `path` for appending; false with `error` set when it cannot.
  bool open(const std::string& path, std::string& error);
  void append(const uint8_t (&trace_id)[16], const uint8_t (&span_id)[8], uint32_t query_type,
              uint64_t duration_ns);

 private:
  std::mutex mutex_;
  std::FILE* file_ = nullptr;  // guarded by mutex_ once the workload runs
};

}  // namespace nq::mock
