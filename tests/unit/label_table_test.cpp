#include "label_table.hpp"

#include <gtest/gtest.h>

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

TEST(LabelTable, ConcurrentInsertsGiveEachKeyOneSlot) {
  LabelTable table(64, 0);
  constexpr int kThreads = 4;
  std::vector<std::vector<uint32_t>> seen(kThreads, std::vector<uint32_t>(64));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (int k = 0; k < 64; ++k) seen[t][k] = table.find_or_insert("k" + std::to_string(k));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint32_t> slots;
  for (int k = 0; k < 64; ++k) {
    for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t][k], seen[0][k]) << "key " << k;
    slots.insert(seen[0][k]);
  }
  EXPECT_EQ(slots.size(), 64u);
  EXPECT_EQ(slots.count(table.overflow_slot()), 0u);
}

}  // namespace
}  // namespace nq::metrics
