// Adding to a thread-owned 64-bit cell: one that only the calling thread
// writes, while scrape threads read it with atomic loads.
//
// With one writer the add needs no lock prefix, only a store that readers see
// whole. std::atomic's load + add + store does that in three instructions (GCC
// and clang fuse no atomic access into an add to memory); on x86-64 this is one
// `add` to memory, whose aligned 8-byte store is single-copy atomic there, as
// the Linux kernel's per-CPU counters add (this_cpu_add). Elsewhere, and under
// ThreadSanitizer (which sees no access made in assembly), it is std::atomic's.
//
// Thread-safety: the caller is the cell's only writer; any thread may load it.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__SANITIZE_THREAD__)  // GCC
#define NQ_METRICS_THREAD_SANITIZER 1
#elif defined(__has_feature)  // clang
#if __has_feature(thread_sanitizer)
#define NQ_METRICS_THREAD_SANITIZER 1
#endif
#endif
#if defined(__x86_64__) && !defined(NQ_METRICS_THREAD_SANITIZER)
#define NQ_METRICS_ADD_TO_MEMORY 1
#endif

namespace nq::metrics {

// Ordered with nothing else the thread does (std::memory_order_relaxed).
inline void add_owned_relaxed(std::atomic<uint64_t>& cell, uint64_t n) noexcept {
#ifdef NQ_METRICS_ADD_TO_MEMORY
  static_assert(sizeof(std::atomic<uint64_t>) == sizeof(uint64_t));
  asm volatile("addq %1, %0" : "+m"(*reinterpret_cast<uint64_t*>(&cell)) : "er"(n));
#else
  cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
#endif
}

// A release store: a reader that sees the new value with an acquire load also
// sees what the thread wrote before (x86-64 keeps stores in order; the memory
// clobber keeps the compiler from moving earlier stores after the add).
inline void add_owned_release(std::atomic<uint64_t>& cell, uint64_t n) noexcept {
#ifdef NQ_METRICS_ADD_TO_MEMORY
  asm volatile("addq %1, %0" : "+m"(*reinterpret_cast<uint64_t*>(&cell)) : "er"(n) : "memory");
#else
  cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_release);
#endif
}

}  // namespace nq::metrics
