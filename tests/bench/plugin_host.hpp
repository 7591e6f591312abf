// The plugin of nq-bench's hot-path benchmarks (hot_path_bench.cpp,
// labelled_hooks_bench.cpp), loaded once for the whole run through the host
// runtime, as an engine loads it; and what those benchmarks share.
//
// Thread-safety: plugin_host() may be called from any benchmark thread (the
// plugin is loaded on first use); the host's dispatch functions are lock-free.
#pragma once

#include <benchmark/benchmark.h>

#include <string>

#include "nq/nq_host.h"
#include "test_engine.hpp"

namespace nq::bench {

// The engine side of the plugin: its settings, log and listener port.
nq::testing::TestEngine& plugin_engine();

// The host runtime with the plugin loaded; aborts the run when it cannot load.
nq_host* plugin_host();

inline nq_str str(const std::string& s) {
  return {s.data(), s.size()};
}

}  // namespace nq::bench

// Registers a hot-path benchmark at 1 and 2 threads.
#define NQ_BENCH_THREADS(fn) BENCHMARK(fn)->Threads(1)->Threads(2)
