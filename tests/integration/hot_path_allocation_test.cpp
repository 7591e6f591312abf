// Hook calls never allocate: this executable replaces operator new (which the
// dlopen'ed plugin binds to as well) with one that counts, then calls every
// hook of the real plugin, with new label values too, while counting.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "nq/nq_host.h"
#include "test_engine.hpp"

namespace {
thread_local bool t_counting = false;
std::atomic<uint64_t> g_allocations{0};

void* counted_allocation(std::size_t size, std::size_t alignment) {
  if (t_counting) g_allocations.fetch_add(1);
  void* p = alignment > alignof(std::max_align_t)
                ? std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment)
                : std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t size) {
  return counted_allocation(size, 0);
}
void* operator new[](std::size_t size) {
  return counted_allocation(size, 0);
}
void* operator new(std::size_t size, std::align_val_t a) {
  return counted_allocation(size, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t size, std::align_val_t a) {
  return counted_allocation(size, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace {

// Sets every string field of an event to `text` (overloads for the events that have strings).
template <class Event>
void set_strings(Event&, nq_str) {}
void set_strings(nq_query_begin_event& e, nq_str t) {
  e.digest = e.normalized_text = t;
}
void set_strings(nq_query_end_event& e, nq_str t) {
  e.digest = e.error_type = t;
  e.status = NQ_QUERY_ERROR;
}
void set_strings(nq_connection_error_event& e, nq_str t) {
  e.reason = t;
}
void set_strings(nq_lock_wait_event& e, nq_str t) {
  e.resource = t;
}
void set_strings(nq_index_event& e, nq_str t) {
  e.table = e.index = t;
}
void set_strings(nq_index_scan_event& e, nq_str t) {
  e.table = e.index = t;
}
void set_strings(nq_ws_message_event& e, nq_str t) {
  e.channel = t;
}
void set_strings(nq_ws_channel_event& e, nq_str t) {
  e.channel = t;
}
void set_strings(nq_error_event& e, nq_str t) {
  e.subsystem = e.error_type = t;
}
void set_strings(nq_quantum_operation_event& e, nq_str t) {
  e.operation = t;
}

// Every hook once, with a zeroed event whose strings are `text`.
void call_every_hook(nq_host* host, nq_str text){
#define NQ_TEST_CALL_HOOK(name, event_type, doc) \
  {                                              \
    event_type e{};                              \
    e.struct_size = sizeof e;                    \
    set_strings(e, text);                        \
    nq_host_##name(host, &e);                    \
  }
    NQ_HOOK_LIST(NQ_TEST_CALL_HOOK)
#undef NQ_TEST_CALL_HOOK
}

TEST(HotPath, HookCallsDoNotAllocate) {
  nq::testing::TestEngine engine;
  engine.settings["listen"] = "127.0.0.1:0";
  engine.settings["native_histograms"] = "true";  // their buckets are recorded too
  nq_host* host = engine.create_host();
  char err[256];
  ASSERT_EQ(nq_host_load(host, NQ_PLUGIN_PATH, err, sizeof err), NQ_OK) << err;
  call_every_hook(host, {"warm-up", 7});  // this thread's first call takes its thread slot

  char text[32];
  t_counting = true;
  const std::string control(100, 'x');  // negative control: the counter sees allocations
  t_counting = false;
  ASSERT_EQ(g_allocations.exchange(0), 1u);

  t_counting = true;
  for (int i = 0; i < 5000; ++i) {
    const int len = std::snprintf(text, sizeof text, "value-%d", i);  // new label values too
    call_every_hook(host, {text, static_cast<size_t>(len)});
  }
  t_counting = false;
  EXPECT_EQ(g_allocations.load(), 0u) << "a hook call allocated";
  nq_host_destroy(host);
}

}  // namespace
