#include "store/label_table.hpp"

#include <gtest/gtest.h>

#include <barrier>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace nq::metrics {
namespace {

TEST(LabelValue, TruncatesAtCharacterBoundariesAndRepairsUtf8) {
  char out[kMaxLabelValueBytes];
  auto clean = [&](std::string_view in, size_t max = kMaxLabelValueBytes) {
    return std::string(out, sanitize_label_value({in.data(), in.size()}, out, max));
  };
  EXPECT_EQ(clean("orders"), "orders");
  EXPECT_EQ(clean(""), "unknown");
  EXPECT_EQ(std::string(out, sanitize_label_value({nullptr, 5}, out, 128)), "unknown");
  EXPECT_EQ(clean("caf\xC3\xA9"), "caf\xC3\xA9");  // é kept
  EXPECT_EQ(clean("bad\xFF\xC3(x"),
            "bad?"
            "?(x");                                         // invalid bytes
  EXPECT_EQ(clean(std::string_view("a\0b\n", 4)), "a?b?");  // NUL and controls
  EXPECT_EQ(clean("\xED\xA0\x80"), "???");                  // UTF-16 surrogate
  EXPECT_EQ(clean("\xC0\xAF"), "??");                       // overlong
  EXPECT_EQ(clean("ab\xE2\x82\xAC", 4), "ab");              // € would be cut
  EXPECT_EQ(clean(std::string(300, 'x')).size(), kMaxLabelValueBytes);
}

TEST(LabelValue, StripLiteralsLeavesNoValueOfARawStatement) {
  char out[kMaxLabelValueBytes];
  auto strip = [&](std::string_view in) { return std::string(out, strip_literals(in, out)); };
  EXPECT_EQ(strip("SELECT * FROM t WHERE id = ?"), "SELECT * FROM t WHERE id = ?");
  EXPECT_EQ(strip("SELECT * FROM t2 WHERE id = 42 AND name = 'bob'"),
            "SELECT * FROM t2 WHERE id = ? AND name = ?");
  EXPECT_EQ(strip("INSERT INTO t VALUES (3.5e2, 'it''s', 'a\\'b', 0x1F)"),
            "INSERT INTO t VALUES (?, ?, ?, ?)");
  EXPECT_EQ(strip("UPDATE t SET v = 'unterminated"), "UPDATE t SET v = ?");
  EXPECT_EQ(strip("SELECT col1 FROM table_2"), "SELECT col1 FROM table_2");
}

TEST(LabelTable, SameKeySameSlotAndOverflowPastCapacity) {
  LabelTable table(3, 0);
  const uint32_t a = table.find_or_insert("a");
  EXPECT_EQ(table.find_or_insert("a"), a);
  EXPECT_EQ(table.find("a"), a);
  EXPECT_NE(table.find_or_insert("b"), a);
  table.find_or_insert("c");
  EXPECT_EQ(table.find_or_insert("d"), table.overflow_slot());
  EXPECT_EQ(table.find("d"), table.overflow_slot());
  EXPECT_EQ(table.live(), 3u);
}

TEST(LabelTable, ErasedSlotsAreReusedAndReadBack) {
  LabelTable table(2, 16);
  const uint32_t a = table.find_or_insert("a", "payload of a");
  table.find_or_insert("b");
  EXPECT_TRUE(table.erase("a"));
  EXPECT_FALSE(table.erase("a"));
  const uint32_t c = table.find_or_insert("c", "this payload is longer than sixteen bytes");
  EXPECT_NE(c, table.overflow_slot());
  std::string key, payload;
  ASSERT_EQ(table.read_slot(c, key, payload), LabelTable::SlotState::live);
  EXPECT_EQ(key, "c");
  EXPECT_EQ(payload, "this payload is ");  // cut to the payload room
  if (a != c) {
    EXPECT_EQ(table.read_slot(a, key, payload), LabelTable::SlotState::free);
  }
  EXPECT_TRUE(table.evict(c));
  EXPECT_EQ(table.read_slot(c, key, payload), LabelTable::SlotState::free);
  EXPECT_EQ(table.live(), 1u);
}

TEST(LabelTable, LongKeysShareABoundedPoolOfBlocksThatFreedKeysGiveBack) {
  // Capacity 16: keys up to 32 bytes stay in their slot, longer ones take one
  // of kMinLongKeyBlocks (8) blocks.
  LabelTable table(16, 0);
  auto long_key = [](int i) { return std::string(200, 'x') + '\0' + std::to_string(i); };
  std::vector<uint32_t> slots;
  for (int i = 0; i < 8; ++i) {
    slots.push_back(table.find_or_insert(long_key(i)));
    ASSERT_NE(slots.back(), table.overflow_slot()) << i;
  }
  EXPECT_EQ(table.find_or_insert(long_key(8)), table.overflow_slot());  // no block left
  const uint32_t short_slot = table.find_or_insert("short");            // short keys still fit
  EXPECT_NE(short_slot, table.overflow_slot());
  EXPECT_EQ(table.live(), 9u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(table.find(long_key(i)), slots[i]) << i;

  std::string key, payload;
  ASSERT_EQ(table.read_slot(slots[3], key, payload), LabelTable::SlotState::live);
  EXPECT_EQ(key, long_key(3));
  EXPECT_TRUE(table.erase(long_key(3)));
  // The freed block is given back by the scrape side's next read of the slot.
  EXPECT_EQ(table.find_or_insert(long_key(9)), table.overflow_slot());
  EXPECT_EQ(table.read_slot(slots[3], key, payload), LabelTable::SlotState::free);
  const uint32_t reused = table.find_or_insert(long_key(9));
  ASSERT_NE(reused, table.overflow_slot());
  ASSERT_EQ(table.read_slot(reused, key, payload), LabelTable::SlotState::live);
  EXPECT_EQ(key, long_key(9));
  EXPECT_EQ(table.find(long_key(3)), table.overflow_slot());
  EXPECT_EQ(table.find(long_key(4)), slots[4]);
  EXPECT_EQ(table.find_or_insert(std::string(LabelTable::kMaxKeyBytes + 1, 'y')),
            table.overflow_slot());
}

TEST(LabelTable, ChurnOfLongAndShortKeysUnderConcurrentInsertsKeepsEveryKeyReadable) {
  // Hook threads insert and erase while the scrape side reads, evicts and
  // gives blocks back: every live slot reads back as a key that was inserted.
  LabelTable table(64, 0);
  auto key_of = [](int i) {
    return (i % 3 == 0 ? std::string(100, 'L') : std::string("s")) + std::to_string(i);
  };
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; !stop.load(std::memory_order_relaxed); ++round) {
        const int i = (round * 7 + t * 13) % 500;
        const uint32_t slot = table.find_or_insert(key_of(i));
        if (round % 5 == 0 && slot != table.overflow_slot()) table.erase(key_of(i));
      }
    });
  }
  std::string key, payload;
  size_t live_seen = 0;
  // Until enough live slots were read, however the threads are scheduled: a
  // scan that finds nothing lets the inserters run.
  for (int scan = 0; live_seen < 5'000; ++scan) {
    const size_t seen_before = live_seen;
    for (uint32_t slot = 0; slot < table.slot_count(); ++slot) {
      if (table.read_slot(slot, key, payload) != LabelTable::SlotState::live) continue;
      ++live_seen;
      const bool is_long = key.rfind(std::string(100, 'L'), 0) == 0;
      const std::string number = key.substr(is_long ? 100 : 1);
      ASSERT_FALSE(number.empty());
      ASSERT_EQ(key, key_of(std::stoi(number))) << "torn key in slot " << slot;
      if (scan % 3 == 0) table.evict(slot);
    }
    if (live_seen == seen_before) std::this_thread::yield();
  }
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_LE(table.live(), table.capacity());
}

TEST(LabelTable, AMillionDistinctKeysNeverGrowIt) {
  LabelTable table(100, 0);
  uint32_t overflowed = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const std::string key = "key-" + std::to_string(i);
    if (table.find_or_insert(key) == table.overflow_slot()) ++overflowed;
  }
  EXPECT_EQ(table.live(), 100u);
  EXPECT_EQ(overflowed, 1'000'000u - 100u);
}

// Four threads insert the same 64 keys into a table of 64: once their
// inserts have returned, each key owns exactly one slot and none was turned
// away. (While an inserter is preempted in the middle of an insert, the others
// may get a copy that is freed later, or the overflow slot for one call: see
// label_table.hpp. So what each thread saw last is not compared.)
TEST(LabelTable, ConcurrentInsertsGiveEachKeyOneSlot) {
  LabelTable table(64, 0);
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        for (int k = 0; k < 64; ++k) table.find_or_insert("k" + std::to_string(k));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint32_t> slots;
  for (int k = 0; k < 64; ++k) {
    const uint32_t slot = table.find("k" + std::to_string(k));
    EXPECT_NE(slot, table.overflow_slot()) << "key " << k;
    EXPECT_EQ(table.find_or_insert("k" + std::to_string(k)), slot) << "key " << k;
    slots.insert(slot);
  }
  EXPECT_EQ(slots.size(), 64u);
  EXPECT_EQ(table.live(), 64u);
  std::string key, payload;
  uint32_t live_slots = 0;
  for (uint32_t slot = 0; slot < table.slot_count(); ++slot) {
    live_slots += table.read_slot(slot, key, payload) == LabelTable::SlotState::live ? 1 : 0;
  }
  EXPECT_EQ(live_slots, 64u);
}

// Inserters of the same new keys race with the scrape side evicting: when the
// inserts have returned, no key owns two slots and live() counts keys.
TEST(LabelTable, ConcurrentInsertsAndEvictionsLeaveNoKeyInTwoSlots) {
  constexpr int kThreads = 3;
  constexpr int kKeys = 48;
  constexpr int kRounds = 50;
  LabelTable table(64, 0);
  std::barrier round_edge(kThreads + 1);  // each round starts and ends together
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        round_edge.arrive_and_wait();
        for (int k = 0; k < kKeys; ++k) {
          const int i = (k * (t + 1) + round) % kKeys;
          table.find_or_insert((i % 4 == 0 ? std::string(40, 'L') : "r") + std::to_string(i));
        }
        round_edge.arrive_and_wait();
      }
    });
  }
  std::string key, payload;
  for (int round = 0; round < kRounds; ++round) {
    round_edge.arrive_and_wait();
    for (uint32_t slot = round % 7; slot < table.slot_count(); slot += 5) {
      if (table.read_slot(slot, key, payload) == LabelTable::SlotState::live) table.evict(slot);
    }
    round_edge.arrive_and_wait();
    std::set<std::string> keys;
    uint32_t live_slots = 0;
    for (uint32_t slot = 0; slot < table.slot_count(); ++slot) {
      if (table.read_slot(slot, key, payload) != LabelTable::SlotState::live) continue;
      ++live_slots;
      EXPECT_TRUE(keys.insert(key).second) << "round " << round << ": " << key << " in two slots";
    }
    EXPECT_EQ(table.live(), live_slots) << "round " << round;
  }
  for (auto& th : threads) th.join();
}

}  // namespace
}  // namespace nq::metrics
