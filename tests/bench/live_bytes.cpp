#include "live_bytes.hpp"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<int64_t> g_live{0};
std::atomic<bool> g_counting{false};

void* track(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  if (g_counting.load(std::memory_order_relaxed)) {
    g_live.fetch_add(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  }
  return p;
}

void untrack(void* p) noexcept {
  if (p == nullptr) return;
  if (g_counting.load(std::memory_order_relaxed)) {
    g_live.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  }
  std::free(p);
}

void* aligned(std::size_t n, std::align_val_t a) {
  void* p = nullptr;
  if (posix_memalign(&p, static_cast<std::size_t>(a), n == 0 ? 1 : n) != 0) p = nullptr;
  return track(p);
}

}  // namespace

namespace nq::bench {

HeapCounting::HeapCounting() {
  g_counting.store(true);
}
HeapCounting::~HeapCounting() {
  g_counting.store(false);
}

int64_t live_heap_bytes() {
  return g_live.load(std::memory_order_relaxed);
}

}  // namespace nq::bench

void* operator new(std::size_t n) {
  return track(std::malloc(n == 0 ? 1 : n));
}
void* operator new[](std::size_t n) {
  return track(std::malloc(n == 0 ? 1 : n));
}
void* operator new(std::size_t n, std::align_val_t a) {
  return aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return aligned(n, a);
}
void operator delete(void* p) noexcept {
  untrack(p);
}
void operator delete[](void* p) noexcept {
  untrack(p);
}
void operator delete(void* p, std::size_t) noexcept {
  untrack(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  untrack(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  untrack(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  untrack(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  untrack(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  untrack(p);
}
