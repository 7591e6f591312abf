// Heap bytes allocated and not freed while a HeapCounting is alive, for
// memory-per-series figures: the benchmark executable replaces the global
// operator new/delete with versions that keep this count (malloc_usable_size
// of each block) only then, so that other benchmarks pay nothing for it.
// Thread-safety: relaxed atomics; measure objects created and kept inside
// one counting window.
#pragma once

#include <cstdint>

namespace nq::bench {

class HeapCounting {
 public:
  HeapCounting();
  ~HeapCounting();
  HeapCounting(const HeapCounting&) = delete;
  HeapCounting& operator=(const HeapCounting&) = delete;
};

int64_t live_heap_bytes();

}  // namespace nq::bench
