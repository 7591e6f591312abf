#include "store/label_cache.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace nq::metrics {
namespace {

void add(std::atomic<uint64_t>& cell, uint64_t n) {
  cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_release);
}

// Owner's side of one event: the cells of `raw` remembered as `label`.
std::atomic<uint64_t>* cells_of(LabelCache& cache, uint32_t thread, const std::string& raw,
                                uint64_t frees, uint32_t label) {
  const LabelCache::Hit hit = cache.find(thread, raw, frees);
  if (hit.cells != nullptr) {
    EXPECT_EQ(hit.label, label);
    return hit.cells;
  }
  return cache.claim(thread, raw, frees, label);
}

TEST(LabelCache, FindsARememberedValueByItsRawBytesWhileTheTableFreedNothing) {
  LabelCache cache(2, 16, 3);
  EXPECT_EQ(cache.find(0, "orders", 7).cells, nullptr);
  std::atomic<uint64_t>* cells = cache.claim(0, "orders", 7, 42);
  ASSERT_NE(cells, nullptr);
  EXPECT_EQ(cache.find(0, "orders", 7).cells, cells);
  EXPECT_EQ(cache.find(0, "orders", 7).label, 42u);
  EXPECT_EQ(cache.find(1, "orders", 7).cells, nullptr);  // another thread's cache
  EXPECT_EQ(cache.find(0, "order", 7).cells, nullptr);
  // A free since: the table is asked again; the same slot keeps the entry.
  EXPECT_EQ(cache.find(0, "orders", 8).cells, nullptr);
  EXPECT_EQ(cache.claim(0, "orders", 8, 42), cells);
  EXPECT_EQ(cache.find(0, "orders", 8).cells, cells);
}

// Values are compared as whole words and a tail word: every length up to
// kKeyBytes, values that share all but one byte, and the empty value.
TEST(LabelCache, TellsApartValuesOfEveryLengthThatDifferInOneByte) {
  LabelCache cache(1, 512, 1);
  std::vector<std::string> values;
  for (size_t len = 0; len <= LabelCache::kKeyBytes; ++len) {
    values.push_back(std::string(len, 'x'));
    for (size_t at = 0; at < len; ++at) {
      values.push_back(std::string(len, 'x'));
      values.back()[at] = 'y';
    }
  }
  std::vector<std::atomic<uint64_t>*> cells(values.size());
  for (uint32_t v = 0; v < values.size(); ++v) {
    cells[v] = cells_of(cache, 0, values[v], 0, v);
    if (cells[v] != nullptr) add(*cells[v], 1);  // unsettled: no other value takes the entry
  }
  for (uint32_t v = 0; v < values.size(); ++v) {
    const LabelCache::Hit hit = cache.find(0, values[v], 0);
    EXPECT_EQ(hit.cells, cells[v]) << values[v];
    if (hit.cells != nullptr) {
      EXPECT_EQ(hit.label, v) << values[v];
    }
  }
  EXPECT_NE(cells[0], nullptr);  // the empty value is a value too
}

TEST(LabelCache, DrainMovesWhatCellsGainedToTheirLabelOnce) {
  LabelCache cache(1, 16, 2);
  std::atomic<uint64_t>* cells = cells_of(cache, 0, "a", 0, 5);
  add(cells[0], 3);
  add(cells[1], 10);
  std::vector<std::array<uint64_t, 3>> moved;
  auto drain = [&] {
    moved.clear();
    cache.drain([&](uint32_t label, uint32_t cell, uint64_t gain) {
      moved.push_back({label, cell, gain});
    });
  };
  drain();
  EXPECT_EQ(moved, (std::vector<std::array<uint64_t, 3>>{{5, 0, 3}, {5, 1, 10}}));
  drain();
  EXPECT_TRUE(moved.empty());
  add(cells[1], 1);
  drain();
  EXPECT_EQ(moved, (std::vector<std::array<uint64_t, 3>>{{5, 1, 1}}));
}

// An entry changes label only when nothing counted under the old one waits
// for a drain: counts are never moved to the wrong label.
TEST(LabelCache, AnUnsettledEntryKeepsItsLabelUntilDrained) {
  LabelCache cache(1, 16, 1);
  std::atomic<uint64_t>* cells = cells_of(cache, 0, "a", 0, 5);
  add(cells[0], 2);
  // The table freed a slot and now gives "a" slot 6.
  EXPECT_EQ(cache.find(0, "a", 1).cells, nullptr);
  EXPECT_EQ(cache.claim(0, "a", 1, 6), nullptr);  // the event counts in the shared row
  uint64_t to_5 = 0, to_6 = 0;
  auto drain = [&] {
    cache.drain([&](uint32_t l, uint32_t, uint64_t gain) { (l == 5 ? to_5 : to_6) += gain; });
  };
  drain();
  EXPECT_EQ(cache.find(0, "a", 1).cells, nullptr);
  EXPECT_EQ(cache.claim(0, "a", 1, 6), cells);
  add(cells[0], 4);
  drain();
  EXPECT_EQ(to_5, 2u);
  EXPECT_EQ(to_6, 4u);
}

// A gauge's entry settles whenever its adds cancel out (a channel subscribed
// to and left): it may be taken by a newcomer, but only when no free entry is
// left in the newcomer's window, so values that fit in the cache keep theirs.
TEST(LabelCache, NewcomersTakeFreeEntriesBeforeSettledOnes) {
  LabelCache cache(1, 128, 1);
  std::vector<std::string> channels;
  for (int c = 0; c < 64; ++c) channels.push_back("orders.region_" + std::to_string(c));
  for (int round = 0; round < 2; ++round) {
    for (uint32_t c = 0; c < channels.size(); ++c) {
      std::atomic<uint64_t>* cells = cells_of(cache, 0, channels[c], 0, c);
      ASSERT_NE(cells, nullptr) << channels[c];
      add(*cells, 1);                          // subscribed
      add(*cells, static_cast<uint64_t>(-1));  // and left: settled
    }
  }
  int found = 0;
  for (const std::string& channel : channels) found += cache.find(0, channel, 0).cells != nullptr;
  EXPECT_EQ(found, 64);
}

TEST(LabelCache, LongValuesAndFullWindowsAreNotCached) {
  LabelCache cache(1, LabelCache::kWindow, 1);  // one window: every value shares it
  std::vector<std::atomic<uint64_t>*> held;
  for (uint32_t v = 0; v < LabelCache::kWindow; ++v) {
    held.push_back(cells_of(cache, 0, "v" + std::to_string(v), 0, v));
    ASSERT_NE(held.back(), nullptr);
    add(*held.back(), 1);  // unsettled
  }
  EXPECT_EQ(cells_of(cache, 0, "another", 0, 9), nullptr);
  cache.drain([](uint32_t, uint32_t, uint64_t) {});
  EXPECT_NE(cells_of(cache, 0, "another", 0, 9), nullptr);  // a settled entry makes room
  EXPECT_GT(cache.memory_bytes(), 0u);
}

// Owners cycle through more values than their cache holds (entries change
// label all the time) while a scrape thread drains: every count reaches its
// own label exactly once, and what a scrape shows never decreases.
TEST(LabelCache, ConcurrentOwnersAndDrainsMoveEveryCountToItsLabelOnce) {
  constexpr uint32_t kThreads = 2, kValues = 24, kEvents = 200000;
  LabelCache cache(kThreads, 8, 2);
  std::array<std::atomic<uint64_t>, kValues> shared{};  // the store's shared row
  std::atomic<bool> done{false};
  auto drain = [&] {
    cache.drain([&](uint32_t label, uint32_t cell, uint64_t gain) {
      EXPECT_LT(label, kValues);
      EXPECT_EQ(cell, 0u);  // cell 1 is never added to
      shared[label].fetch_add(gain, std::memory_order_relaxed);
    });
  };
  std::thread scraper([&] {
    std::array<uint64_t, kValues> last{};
    while (!done.load()) {
      drain();
      for (uint32_t v = 0; v < kValues; ++v) {
        const uint64_t now = shared[v].load(std::memory_order_relaxed);
        EXPECT_GE(now, last[v]);
        last[v] = now;
      }
    }
  });
  std::vector<std::thread> owners;
  for (uint32_t t = 0; t < kThreads; ++t) {
    owners.emplace_back([&, t] {
      for (uint32_t i = 0; i < kEvents; ++i) {
        const uint32_t v = (i * 7 + t) % kValues;
        std::atomic<uint64_t>* cells = cells_of(cache, t, "value-" + std::to_string(v), 0, v);
        if (cells != nullptr) {
          add(cells[0], 1);
        } else {
          shared[v].fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (auto& o : owners) o.join();
  done = true;
  scraper.join();
  drain();
  uint64_t total = 0;
  for (uint32_t v = 0; v < kValues; ++v) {
    uint64_t expected = 0;
    for (uint32_t t = 0; t < kThreads; ++t) {
      for (uint32_t i = 0; i < kEvents; ++i) expected += (i * 7 + t) % kValues == v;
    }
    EXPECT_EQ(shared[v].load(), expected) << "value " << v;
    total += shared[v].load();
  }
  EXPECT_EQ(total, uint64_t{kThreads} * kEvents);
}

}  // namespace
}  // namespace nq::metrics
