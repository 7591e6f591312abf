#include "hook_dispatcher.hpp"

#include "nq/nq_host.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace nq::host::detail {
namespace {

using namespace std::chrono_literals;

std::atomic<int> g_calls{0};
std::atomic<bool> g_hold{false};
std::atomic<bool> g_inside{false};

void counting_begin(nq_plugin_instance*, nq_thread_slot, const nq_query_begin_event*) {
  g_calls.fetch_add(1);
}

void holding_begin(nq_plugin_instance*, nq_thread_slot, const nq_query_begin_event*) {
  g_inside = true;
  while (g_hold.load()) std::this_thread::sleep_for(1ms);
  g_inside = false;
}

nq_hook_table table_with(nq_hook_query_begin_fn begin) {
  nq_hook_table t{};
  t.struct_size = sizeof t;
  t.query_begin = begin;
  return t;
}

TEST(HookDispatcher, CallsNothingWithoutAPublishedTable) {
  HookDispatcher dispatcher(4);
  g_calls = 0;
  nq_query_begin_event ev{};
  dispatcher.dispatch<&nq_hook_table::query_begin>(&ev);
  EXPECT_EQ(g_calls, 0);
}

TEST(HookDispatcher, MissingHooksBecomeNoOps) {
  nq_hook_table plugin = table_with(&counting_begin);
  plugin.struct_size = offsetof(nq_hook_table, query_end);         // an "older" table: no query_end
  plugin.query_end = reinterpret_cast<nq_hook_query_end_fn>(0x1);  // beyond struct_size: ignored
  const Binding binding = make_binding(plugin, nullptr);
  HookDispatcher dispatcher(4);
  dispatcher.publish(&binding);
  g_calls = 0;
  nq_query_begin_event begin{};
  nq_query_end_event end{};
  dispatcher.dispatch<&nq_hook_table::query_begin>(&begin);
  dispatcher.dispatch<&nq_hook_table::query_end>(&end);  // must not jump to 0x1
  dispatcher.dispatch<&nq_hook_table::wal_fsync>(static_cast<const nq_wal_fsync_event*>(nullptr));
  EXPECT_EQ(g_calls, 1);
  EXPECT_TRUE(dispatcher.replace(nullptr, 1s));
}

// A thread's first call claims its slot and counts itself with atomic
// read-modify-writes; its later calls take the light path (plain stores, when
// the kernel has membarrier). replace() waits for a thread inside either way.
TEST(HookDispatcher, RetireWaitsForThreadsInsideAndTimesOut) {
  const nq_hook_table plugin = table_with(&holding_begin);
  const Binding binding = make_binding(plugin, nullptr);
  for (const bool first_call : {true, false}) {
    SCOPED_TRACE(first_call ? "the thread's first call" : "a later call");
    HookDispatcher dispatcher(4);
    dispatcher.publish(&binding);
    g_hold = true;
    std::thread caller([&] {
      nq_query_end_event end{};
      if (!first_call) dispatcher.dispatch<&nq_hook_table::query_end>(&end);  // a no-op hook
      nq_query_begin_event begin{};
      dispatcher.dispatch<&nq_hook_table::query_begin>(&begin);
    });
    while (!g_inside.load()) std::this_thread::sleep_for(1ms);
    EXPECT_FALSE(dispatcher.replace(nullptr, 50ms)) << "a thread is still inside the hook";
    g_hold = false;
    caller.join();
    EXPECT_TRUE(dispatcher.replace(nullptr, 1s));
  }
}

TEST(HookDispatcher, RetireCompletesUnderAConstantStreamOfCalls) {
  const nq_hook_table plugin = table_with(&counting_begin);
  const Binding binding = make_binding(plugin, nullptr);
  HookDispatcher dispatcher(2);  // 4 callers: two exclusive, two share a cell
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] {
      nq_query_begin_event ev{};
      while (!stop.load()) dispatcher.dispatch<&nq_hook_table::query_begin>(&ev);
    });
  }
  for (int round = 0; round < 200; ++round) {
    dispatcher.publish(&binding);
    ASSERT_TRUE(dispatcher.replace(nullptr, 5s)) << "round " << round;
  }
  stop = true;
  for (auto& c : callers) c.join();
}

// The instance pointer tells which of two tables a call went through; a call
// that starts inside the old table after replace() returned is a failure.
std::atomic<int> g_old_calls{0}, g_new_calls{0};
std::atomic<bool> g_old_retired{false};
std::atomic<int> g_calls_after_retire{0};
void table_begin(nq_plugin_instance* which, nq_thread_slot, const nq_query_begin_event*) {
  if (which == nullptr) {
    if (g_old_retired.load()) g_calls_after_retire.fetch_add(1);
    g_old_calls.fetch_add(1);
  } else {
    g_new_calls.fetch_add(1);
  }
}

TEST(HookDispatcher, ReplaceSwapsTablesUnderLoadAndNoCallReachesTheOldOneAfter) {
  g_old_calls = 0;  // the counters are global: a repeated run starts afresh
  g_new_calls = 0;
  g_old_retired = false;
  g_calls_after_retire = 0;
  const nq_hook_table plugin = table_with(&table_begin);
  int marker = 0;
  const Binding old_binding = make_binding(plugin, nullptr);
  const Binding new_binding = make_binding(plugin, reinterpret_cast<nq_plugin_instance*>(&marker));
  HookDispatcher dispatcher(2);  // 3 callers: two exclusive (fast path), one shared
  dispatcher.publish(&old_binding);
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([&] {
      nq_query_begin_event ev{};
      while (!stop.load(std::memory_order_relaxed)) {
        dispatcher.dispatch<&nq_hook_table::query_begin>(&ev);
      }
    });
  }
  while (g_old_calls.load() < 10000) std::this_thread::yield();
  ASSERT_TRUE(dispatcher.replace(&new_binding, 5s));
  g_old_retired = true;
  const int new_before = g_new_calls.load();
  while (g_new_calls.load() < new_before + 10000) std::this_thread::yield();
  stop = true;
  for (auto& c : callers) c.join();
  EXPECT_EQ(g_calls_after_retire.load(), 0);
  RecordProperty("barrier_free_callers", dispatcher.light_readers() ? "yes" : "no");
}

TEST(ThreadSlots, LiveThreadsGetDistinctSlotsAndShareBeyondTheLimit) {
  constexpr int kThreads = 6;
  std::vector<nq_thread_slot> slots(kThreads);
  std::atomic<int> ready{0};
  std::atomic<bool> release{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      slots[i] = current_thread_slot(NQ_HOST_MAX_THREAD_SLOTS);
      ready.fetch_add(1);
      while (!release.load()) std::this_thread::sleep_for(1ms);
    });
  }
  while (ready.load() < kThreads) std::this_thread::sleep_for(1ms);
  release = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<nq_thread_slot>(slots.begin(), slots.end()).size(), size_t{kThreads});
  EXPECT_EQ(current_thread_slot(0), NQ_THREAD_SLOT_SHARED);
}

// A thread_local destroyed after the thread gave its slot back (one made
// before the slot was claimed) may still call a hook: it goes the shared way,
// since the slot may already be another thread's.
TEST(ThreadSlots, AThreadThatGaveItsSlotBackGoesShared) {
  struct CallsAtExit {
    nq_thread_slot* seen;
    ~CallsAtExit() { *seen = current_thread_slot(NQ_HOST_MAX_THREAD_SLOTS); }
  };
  nq_thread_slot during = NQ_THREAD_SLOT_SHARED, at_exit = 0;
  std::thread([&] {
    thread_local CallsAtExit calls_at_exit{&at_exit};
    during = current_thread_slot(NQ_HOST_MAX_THREAD_SLOTS);
  }).join();
  EXPECT_NE(during, NQ_THREAD_SLOT_SHARED);
  EXPECT_EQ(at_exit, NQ_THREAD_SLOT_SHARED);
}

}  // namespace
}  // namespace nq::host::detail
