#include "store/exemplar_cells.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

namespace nq::metrics {
namespace {

// Keys are dated this far apart: more than the age below which a cell keeps
// its exemplar, so that every record() replaces it.
constexpr uint64_t kNsPerKey = 200'000'000;

// A trace context whose every word is `key` (trace id, span id; the timestamp
// kNsPerKey x key), so that a reader can tell a torn exemplar from a whole one.
struct KeyedTrace {
  explicit KeyedTrace(uint64_t key) : timestamp(key * kNsPerKey) {
    std::memcpy(trace_id, &key, 8);
    std::memcpy(trace_id + 8, &key, 8);
    std::memcpy(span_id, &key, 8);
  }
  TraceContext context() const { return {trace_id, span_id, timestamp}; }
  uint8_t trace_id[16];
  uint8_t span_id[8];
  uint64_t timestamp;
};

// The key of a whole exemplar; 0 when its words disagree.
uint64_t key_of(const ExemplarRecord& r) {
  uint64_t words[3];
  std::memcpy(words, r.trace_id, 16);
  std::memcpy(words + 2, r.span_id, 8);
  const bool whole = words[0] == words[1] && words[1] == words[2] && words[2] == r.value &&
                     r.value * kNsPerKey == r.timestamp_ns;
  return whole ? words[0] : 0;
}

TEST(ExemplarCells, ACellHoldsTheLatestRecordUntilCleared) {
  ExemplarCells cells(4);
  ExemplarRecord r;
  EXPECT_FALSE(cells.read(2, r));
  cells.record(2, KeyedTrace(7).context(), 7);
  cells.record(2, KeyedTrace(9).context(), 9);
  ASSERT_TRUE(cells.read(2, r));
  EXPECT_EQ(key_of(r), 9u);
  EXPECT_FALSE(cells.read(1, r));
  EXPECT_FALSE(cells.read(3, r));
  cells.clear(2);
  EXPECT_FALSE(cells.read(2, r));
  EXPECT_EQ(cells.memory_bytes(), 4 * 64u);
}

TEST(ExemplarCells, AnExemplarYoungerThan100msStaysUnlessUndated) {
  ExemplarCells cells(1);
  const uint8_t first[16] = {1}, second[16] = {2}, span[8] = {};
  ExemplarRecord r;
  cells.record(0, {first, span, 1'000'000'000}, 1);
  cells.record(0, {second, span, 1'050'000'000}, 2);  // 50 ms later: kept out
  ASSERT_TRUE(cells.read(0, r));
  EXPECT_EQ(r.value, 1u);
  cells.record(0, {second, span, 1'100'000'000}, 3);  // 100 ms later: replaces
  ASSERT_TRUE(cells.read(0, r));
  EXPECT_EQ(r.value, 3u);
  cells.record(0, {first, span, 0}, 4);  // undated: always replaces
  ASSERT_TRUE(cells.read(0, r));
  EXPECT_EQ(r.value, 4u);
  EXPECT_EQ(r.trace_id[0], 1);
}

TEST(ExemplarCells, ReadersNeverSeeATornExemplarWhileThreadsRecord) {
  // Two writers record into the same two cells as fast as they can while the
  // scrape side reads and clears them: every exemplar read is one that a
  // writer recorded whole.
  ExemplarCells cells(2);
  constexpr uint64_t kRecordsPerWriter = 20'000;
  std::atomic<int> writing{2};
  std::vector<std::thread> writers;
  for (uint64_t w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (uint64_t i = 1; i <= kRecordsPerWriter; ++i) {
        const uint64_t key = (w << 32) | i;
        cells.record(static_cast<uint32_t>(i & 1), KeyedTrace(key).context(), key);
      }
      writing.fetch_sub(1);
    });
  }
  uint64_t reads = 0, torn = 0;
  while (writing.load() > 0 || reads < 1000) {
    ExemplarRecord r;
    for (uint32_t c = 0; c < 2; ++c) {
      if (!cells.read(c, r)) continue;
      ++reads;
      const uint64_t key = key_of(r);
      if (key == 0 || (key & 0xffffffff) > kRecordsPerWriter || (key >> 32) > 1) ++torn;
    }
    if (reads % 512 == 0) cells.clear(0);
    if (writing.load() == 0 && reads < 1000) cells.record(1, KeyedTrace(5).context(), 5);
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(torn, 0u) << "of " << reads << " reads";
}

}  // namespace
}  // namespace nq::metrics
