#include "store/cell_arena.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace nq::metrics {
namespace {

TEST(CellArena, StartsAtZeroAndSumsAllRows) {
  CellArena arena(10, 4);
  EXPECT_EQ(arena.sum(9), 0u);
  arena.add(0, 9, 2);
  arena.add(3, 9, 5);
  arena.add(NQ_THREAD_SLOT_SHARED, 9, 7);
  arena.add(4, 9, 11);  // past the exclusive slots: goes to the shared row
  EXPECT_EQ(arena.sum(9), 25u);
  EXPECT_EQ(arena.sum(8), 0u);
}

TEST(CellArena, SignedDeltasWrapBackToTheSignedValue) {
  CellArena arena(1, 2);
  arena.add(0, 0, static_cast<uint64_t>(int64_t{+1}));
  arena.add(1, 0, static_cast<uint64_t>(int64_t{-3}));
  EXPECT_EQ(static_cast<int64_t>(arena.sum(0)), -2);
}

TEST(CellArena, RowsDoNotShareCacheLines) {
  CellArena arena(1, 3);
  EXPECT_EQ(arena.memory_bytes(), 4u * 64u + 64u);  // a line per row, and one to align them
}

// Exclusive slots with plain stores and the shared row with fetch_add both keep
// every increment while other threads add to the same cell and a reader sums.
TEST(CellArena, ConcurrentAddsAreExact) {
  constexpr int kThreads = 6;  // 3 with exclusive slots, 3 sharing
  constexpr uint64_t kAdds = 200000;
  CellArena arena(3, 3);
  std::atomic<bool> done{false};
  std::thread reader([&] {
    uint64_t last = 0;
    while (!done.load()) {
      const uint64_t now = arena.sum(1);
      EXPECT_GE(now, last);  // a counter never goes backwards
      last = now;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      const nq_thread_slot slot = t < 3 ? static_cast<nq_thread_slot>(t) : NQ_THREAD_SLOT_SHARED;
      for (uint64_t i = 0; i < kAdds; ++i) arena.add(slot, 1, 1);
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_EQ(arena.sum(1), kThreads * kAdds);
  EXPECT_EQ(arena.sum(0), 0u);
  EXPECT_EQ(arena.sum(2), 0u);
}

}  // namespace
}  // namespace nq::metrics
