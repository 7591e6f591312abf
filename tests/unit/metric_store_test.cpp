#include "store/metric_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "expose/exposition.hpp"
#include "label_table_test_peer.hpp"
#include "nq/testing/exposition_samples.hpp"
#include "nq/testing/http_client.hpp"
#include "record/event_recorder.hpp"

namespace nq::metrics {
namespace {

using nq::testing::sample_value;

StoreOptions options(uint32_t slots) {
  StoreOptions o;
  o.exclusive_slots = slots;
  return o;
}

std::string render(MetricStore& store) {
  return nq::metrics::render(store.collect({"1.2.3", "1.0", "abc", 42.0, 41.0}).metrics(),
                             ExpositionFormat::prometheus_text);
}

// Sum of every sample of `family` (lines "family{...} value" or "family value").
double family_sum(const std::string& text, const std::string& family) {
  double sum = 0;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(family, 0) == 0 && (line[family.size()] == '{' || line[family.size()] == ' ')) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}

TEST(MetricStore, CountersAreAddressedByMixedRadixSeries) {
  MetricStore store(options(2));
  // query_type=update (2), status=cancelled (2): 2 * 3 + 2
  store.count(0, FamilyId::queries_total, 2 * 3 + 2, 5);
  store.count(NQ_THREAD_SLOT_SHARED, FamilyId::queries_total, 0);
  const std::string text = render(store);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_queries_total{query_type="update",status="cancelled"})"),
      5);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_queries_total{query_type="select",status="success"})"), 1);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_queries_total{query_type="other",status="error"})"),
            0);
}

TEST(MetricStore, HistogramBucketsAreInclusiveAndSumIsInSeconds) {
  MetricStore store(options(1));
  store.observe(0, FamilyId::query_duration_seconds, 0, 1'000'000);       // 1 ms: le=0.001
  store.observe(0, FamilyId::query_duration_seconds, 0, 1'000'001);       // just above
  store.observe(0, FamilyId::query_duration_seconds, 0, 60'000'000'000);  // 60 s: +Inf only
  const std::string text = render(store);
  const std::string b = R"(neuroquantum_query_duration_seconds_bucket{query_type="select",le=")";
  EXPECT_EQ(sample_value(text, b + R"(0.0005"})"), 0);
  EXPECT_EQ(sample_value(text, b + R"(0.001"})"), 1);
  EXPECT_EQ(sample_value(text, b + R"(0.0025"})"), 2);
  EXPECT_EQ(sample_value(text, b + R"(10"})"), 2);
  EXPECT_EQ(sample_value(text, b + R"(+Inf"})"), 3);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_query_duration_seconds_count{query_type="select"})"),
            3);
  EXPECT_DOUBLE_EQ(
      *sample_value(text, R"(neuroquantum_query_duration_seconds_sum{query_type="select"})"),
      60.002000001);
}

TEST(MetricStore, BucketsCanBeOverridden) {
  StoreOptions o = options(1);
  o.buckets[static_cast<size_t>(FamilyId::wal_fsync_duration_seconds)] = {0.001, 0.1};
  MetricStore store(o);
  store.observe(0, FamilyId::wal_fsync_duration_seconds, 0, 50'000'000);
  const std::string text = render(store);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_wal_fsync_duration_seconds_bucket{le="0.001"})"), 0);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_wal_fsync_duration_seconds_bucket{le="0.1"})"), 1);
  EXPECT_FALSE(
      sample_value(text, R"(neuroquantum_wal_fsync_duration_seconds_bucket{le="0.00005"})"));
}

// A statement's bucket is looked up once for the statement's histogram and the
// database's when both have the same bounds; with the database's overridden,
// its own bounds place the statement.
TEST(MetricStore, DatabaseDurationBucketsFollowTheirOwnBounds) {
  const auto database_buckets = [](const StoreOptions& o) {
    MetricStore store(o);
    EventRecorder recorder(store, RecorderOptions{});
    for (const uint64_t ns : {1'000'000ull, 1'000'001ull, 50'000'000ull, 60'000'000'000ull}) {
      nq_query_end_event e{};
      e.struct_size = sizeof e;
      e.duration_ns = ns;
      e.database = {"shop", 4};
      recorder.on_query_end(0, e);
    }
    const std::string text = render(store);
    std::vector<double> buckets;
    for (const std::string le : {"0.001", "0.0025", "0.1", "+Inf"}) {
      const std::string series =
          R"(neuroquantum_database_query_duration_seconds_bucket{database="shop",le=")" + le +
          R"("})";
      buckets.push_back(sample_value(text, series).value_or(-1));
    }
    return buckets;
  };
  EXPECT_EQ(database_buckets(options(1)), (std::vector<double>{1, 2, 3, 4}));
  StoreOptions o = options(1);
  o.buckets[static_cast<size_t>(FamilyId::database_query_duration_seconds)] = {0.0025, 0.1};
  EXPECT_EQ(database_buckets(o), (std::vector<double>{-1, 2, 3, 4}));
}

// A (table, index) pair is found in the thread's cache by its raw bytes:
// pairs of every length up to and past the cache's key (one part's bytes
// moving to the other, too) are series of their own, seen again and again.
TEST(MetricStore, IndexPairsOfEveryLengthAreSeriesOfTheirOwn) {
  MetricStore store(options(1));
  EventRecorder recorder(store, RecorderOptions{});
  const std::string letters = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN";  // 50
  constexpr size_t kLongest = 24;  // pairs up to 1 + 24 + 24 bytes: some past the cache's 40
  const auto rows_of = [](size_t t, size_t i) { return 1 + t * 100 + i; };
  for (int round = 0; round < 3; ++round) {
    for (size_t t = 1; t <= kLongest; ++t) {
      for (size_t i = 1; i <= kLongest; ++i) {
        const std::string table = letters.substr(0, t), index = letters.substr(t, i);
        nq_index_scan_event e{};
        e.struct_size = sizeof e;
        e.table = {table.data(), table.size()};
        e.index = {index.data(), index.size()};
        e.rows_read = rows_of(t, i);
        recorder.on_index_scan(0, e);
      }
    }
  }
  const std::string text = render(store);
  size_t wrong = 0;
  for (size_t t = 1; t <= kLongest; ++t) {
    for (size_t i = 1; i <= kLongest; ++i) {
      const std::string series = "neuroquantum_index_rows_read_total{table=\"" +
                                 letters.substr(0, t) + "\",index=\"" + letters.substr(t, i) +
                                 "\"}";
      const auto rows = sample_value(text, series);
      if (rows != 3.0 * static_cast<double>(rows_of(t, i)) && wrong++ < 5) {
        ADD_FAILURE() << series << " is " << rows.value_or(-1) << ", expected "
                      << 3 * rows_of(t, i);
      }
    }
  }
  EXPECT_EQ(wrong, 0u);
}

TEST(MetricStore, UpDownGaugeFoldsSignedDeltasFromDifferentThreads) {
  MetricStore store(options(2));
  store.add(0, FamilyId::active_queries, 0, +3);
  store.add(1, FamilyId::active_queries, 0, -1);
  EXPECT_EQ(sample_value(render(store), "neuroquantum_active_queries"), 2);
}

TEST(MetricStore, SampledGaugesKeepTheLastValue) {
  MetricStore store(options(1));
  store.set(FamilyId::buffer_pool_pages, 2, 17);
  store.set(FamilyId::buffer_pool_pages, 2, 12.5);
  EXPECT_EQ(sample_value(render(store), R"(neuroquantum_buffer_pool_pages{state="dirty"})"), 12.5);
}

TEST(MetricStore, IdentityProcessAndScrapeFamilies) {
  MetricStore store(options(1));
  render(store);
  const std::string text = render(store);
  EXPECT_EQ(
      sample_value(text,
                   R"(neuroquantum_build_info{version="1.2.3",abi_version="1.0",build_id="abc"})"),
      1);
  EXPECT_EQ(sample_value(text, "neuroquantum_plugin_start_time_seconds"), 42);
  EXPECT_GT(sample_value(text, "process_resident_memory_bytes").value_or(0), 0);
  EXPECT_GT(sample_value(text, "process_open_fds").value_or(0), 0);
  EXPECT_GT(sample_value(text, "neuroquantum_plugin_series").value_or(0), 100);
}

TEST(MetricStore, EngineValuedLabelsGetSeriesAndOverflowIntoOther) {
  StoreOptions o = options(1);
  o.bounds[static_cast<size_t>(LabelSpaceId::errors)] = 2;
  MetricStore store(o);
  LabelTable& errors = store.labels(LabelSpaceId::errors);
  const std::string keys[] = {std::string("wal\0disk_full", 13), std::string("net\0reset", 9),
                              std::string("wal\0corrupt", 11)};
  for (int i = 0; i < 3; ++i) {
    const uint32_t slot = errors.find_or_insert(keys[i]);
    if (slot == errors.overflow_slot()) store.count_overflow(0, FamilyId::errors_total);
    store.count(0, FamilyId::errors_total, 0, 10 + i, slot);
  }
  const std::string text = render(store);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_errors_total{subsystem="wal",error_type="disk_full"})"),
      10);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_errors_total{subsystem="net",error_type="reset"})"),
            11);
  EXPECT_EQ(sample_value(
                text, R"(neuroquantum_errors_total{subsystem="__other__",error_type="__other__"})"),
            12);
  EXPECT_EQ(
      sample_value(
          text, R"(neuroquantum_plugin_label_overflow_total{family="neuroquantum_errors_total"})"),
      1);
}

TEST(MetricStore, FreedSlotsMoveTheirCountsToOtherAndCountersNeverDecrease) {
  StoreOptions o = options(1);
  o.bounds[static_cast<size_t>(LabelSpaceId::indexes)] = 1;
  MetricStore store(o);
  LabelTable& indexes = store.labels(LabelSpaceId::indexes);
  const std::string a("t\0a", 3), b("t\0b", 3);
  store.count(0, FamilyId::index_scans_total, 0, 7, indexes.find_or_insert(a));
  std::string text = render(store);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_index_scans_total{table="t",index="a"})"), 7);
  ASSERT_TRUE(indexes.erase(a));                                                 // index dropped
  store.count(0, FamilyId::index_scans_total, 0, 2, indexes.find_or_insert(b));  // reuses the slot
  text = render(store);
  EXPECT_FALSE(sample_value(text, R"(neuroquantum_index_scans_total{table="t",index="a"})"));
  EXPECT_EQ(sample_value(text, R"(neuroquantum_index_scans_total{table="t",index="b"})"), 2);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_index_scans_total{table="__other__",index="__other__"})"),
      7);
}

TEST(MetricStore, ScrapesRefillTheModelInPlaceWithoutStaleSeries) {
  // The collected model is reused from scrape to scrape: series that left
  // must not linger, and long keys (stored out of their slot) read back whole.
  StoreOptions o = options(1);
  o.bounds[static_cast<size_t>(LabelSpaceId::indexes)] = 8;
  MetricStore store(o);
  LabelTable& indexes = store.labels(LabelSpaceId::indexes);
  const std::string long_table(100, 't');
  std::vector<std::string> keys;
  for (int i = 0; i < 4; ++i) keys.push_back(long_table + '\0' + "idx" + std::to_string(i));
  for (const auto& k : keys)
    store.count(0, FamilyId::index_scans_total, 0, 1, indexes.find_or_insert(k));
  auto series_of = [](const std::string& text) {
    size_t n = 0;
    for (size_t at = 0;
         (at = text.find("\nneuroquantum_index_scans_total{", at)) != std::string::npos; ++at) {
      ++n;
    }
    return n;
  };
  std::string text = render(store);
  EXPECT_EQ(series_of(text), 5u);  // 4 values + __other__
  const std::string labels =
      R"(neuroquantum_index_scans_total{table=")" + long_table + R"(",index="idx2"})";
  EXPECT_EQ(sample_value(text, labels), 1);
  ASSERT_TRUE(indexes.erase(keys[0]));
  ASSERT_TRUE(indexes.erase(keys[1]));
  text = render(store);
  EXPECT_EQ(series_of(text), 3u);
  EXPECT_EQ(sample_value(text, labels), 1);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_index_scans_total{table="__other__",index="__other__"})"),
      2);
  store.count(0, FamilyId::index_scans_total, 0, 5,
              indexes.find_or_insert(std::string("short\0x", 7)));
  text = render(store);
  EXPECT_EQ(series_of(text), 4u);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_index_scans_total{table="short",index="x"})"), 5);
}

TEST(MetricStore, TopKSpacesMakeRoomForHeavierNewcomers) {
  StoreOptions o = options(1);
  o.bounds[static_cast<size_t>(LabelSpaceId::lock_resources)] = 20;
  MetricStore store(o);
  LabelTable& resources = store.labels(LabelSpaceId::lock_resources);
  auto wait = [&](const std::string& resource, uint64_t ns) {
    const uint32_t slot = resources.find_or_insert(resource);
    if (slot == resources.overflow_slot())
      store.count_overflow(0, FamilyId::lock_resource_wait_seconds_total);
    store.count(0, FamilyId::lock_resource_wait_seconds_total, NQ_LOCK_EXCLUSIVE, ns, slot);
  };
  for (int i = 0; i < 20; ++i) wait("cold-" + std::to_string(i), 1'000);  // fill the table
  uint64_t total = 20 * 1'000;
  // A hot resource arrives late; after a few scrapes it has its own series.
  for (int scrape = 0; scrape < 5; ++scrape) {
    for (int i = 0; i < 100; ++i) wait("hot", 1'000'000);
    total += 100 * 1'000'000;
    render(store);
  }
  const std::string text = render(store);
  const auto hot = sample_value(
      text,
      R"(neuroquantum_lock_resource_wait_seconds_total{resource="hot",lock_type="exclusive"})");
  ASSERT_TRUE(hot) << "the heavy newcomer got a slot";
  EXPECT_GT(*hot, 0.1);
  EXPECT_NEAR(family_sum(text, "neuroquantum_lock_resource_wait_seconds_total"), total * 1e-9, 1e-9)
      << "nothing lost or counted twice";
}

TEST(MetricStore, AMillionDistinctValuesStayUnderTheBoundAndTotalsAreConserved) {
  MetricStore store(options(1));
  const size_t memory_before = store.memory_bytes();
  LabelTable& channels = store.labels(LabelSpaceId::websocket_channels);
  LabelTable& digests = store.labels(LabelSpaceId::query_digests);
  for (int i = 0; i < 1'000'000; ++i) {
    const std::string name = "v" + std::to_string(i);
    store.add(0, FamilyId::websocket_channel_subscribers, 0, 1, channels.find_or_insert(name));
    store.count(0, FamilyId::query_digest_calls_total, 0, 1,
                digests.find_or_insert(name, "SELECT ?"));
    if (i % 100'000 == 0) render(store);
  }
  const std::string text = render(store);
  EXPECT_EQ(store.memory_bytes(), memory_before);
  EXPECT_EQ(family_sum(text, "neuroquantum_websocket_channel_subscribers"), 1e6);
  EXPECT_EQ(family_sum(text, "neuroquantum_query_digest_calls_total"), 1e6);
  EXPECT_LE(channels.live(), 100u);
  EXPECT_LE(digests.live(), 250u);
  size_t digest_series = 0;
  for (size_t p = text.find("\nneuroquantum_query_digest_calls_total{"); p != std::string::npos;
       p = text.find("\nneuroquantum_query_digest_calls_total{", p + 1)) {
    ++digest_series;
  }
  EXPECT_LE(digest_series, 251u);
}

// The per-database families count in thread rows and the recorder remembers
// each thread slot's last database: a value evicted at a scrape (top-K) must
// not keep receiving counts through that memory, and what its slot counted
// goes to __other__, so that the family still sums to what was recorded.
TEST(MetricStore, AnEvictedDatabaseIsLookedUpAgainAndTotalsAreConserved) {
  StoreOptions o = options(2);
  o.bounds[static_cast<size_t>(LabelSpaceId::databases)] = 2;
  MetricStore store(o);
  EventRecorder recorder(store, RecorderOptions{});
  auto statement = [&](nq_thread_slot slot, std::string_view database) {
    nq_query_end_event e{};
    e.struct_size = sizeof e;
    e.duration_ns = 1'000'000;
    e.database = {database.data(), database.size()};
    recorder.on_query_end(slot, e);
  };
  statement(0, "a");
  statement(1, "b");
  for (int i = 0; i < 3; ++i) statement(1, "b");  // b is heavier: a is the coldest
  statement(1, "c");                              // turned away: the table is full
  render(store);                                  // evicts a
  const uint32_t capacity = store.labels(LabelSpaceId::databases).capacity();
  for (uint32_t i = 0; i < capacity; ++i) statement(1, "x" + std::to_string(i));  // fill a's room
  for (int i = 0; i < 5; ++i) statement(0, "a");  // slot 0 remembered a's old slot
  const std::string text = render(store);
  const double total = 1 + 4 + 1 + capacity + 5;
  EXPECT_EQ(family_sum(text, "neuroquantum_database_queries_total"), total);
  EXPECT_EQ(family_sum(text, "neuroquantum_database_query_duration_seconds_count"), total);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_database_queries_total{database="b",status="success"})"),
      4);
  // a's old slot may now be an x value's: it counted one statement, not a's five.
  for (uint32_t i = 0; i < capacity; ++i) {
    const auto x = sample_value(text, "neuroquantum_database_queries_total{database=\"x" +
                                          std::to_string(i) + "\",status=\"success\"}");
    if (x) {
      EXPECT_EQ(*x, 1) << "x" << i << " received a's counts\n" << text;
    }
  }
}

// A thread slot remembers the label slot of the database it sent last; once
// the table has freed a slot (here the value itself is erased), the next
// statement looks its database up again instead of counting into the slot
// remembered.
TEST(MetricStore, ARememberedDatabaseIsLookedUpAgainAfterTheTableFreedASlot) {
  MetricStore store(options(2));
  EventRecorder recorder(store, RecorderOptions{});
  nq_query_end_event e{};
  e.struct_size = sizeof e;
  e.database = {"a", 1};
  recorder.on_query_end(0, e);
  LabelTable& databases = store.labels(LabelSpaceId::databases);
  ASSERT_TRUE(databases.erase("a"));
  ASSERT_EQ(databases.find("a"), databases.overflow_slot());
  recorder.on_query_end(0, e);
  EXPECT_NE(databases.find("a"), databases.overflow_slot()) << "slot 0 counted into a freed slot";
}

// Lock resources count in the thread slots' label caches: a value evicted at a
// scrape is looked up again (the table freed a slot), what its cache entry
// counted goes to __other__ with its slot, and no newcomer in its old slot
// receives its counts.
TEST(MetricStore, AnEvictedLockResourceIsLookedUpAgainAndTotalsAreConserved) {
  StoreOptions o = options(2);
  o.bounds[static_cast<size_t>(LabelSpaceId::lock_resources)] = 2;
  MetricStore store(o);
  EventRecorder recorder(store, RecorderOptions{});
  auto wait = [&](nq_thread_slot slot, std::string_view resource) {
    nq_lock_wait_event e{};
    e.struct_size = sizeof e;
    e.lock_type = NQ_LOCK_SHARED;
    e.wait_ns = 1'000'000'000;
    e.resource = {resource.data(), resource.size()};
    recorder.on_lock_wait_end(slot, e);
  };
  wait(0, "a");
  for (int i = 0; i < 4; ++i) wait(1, "b");  // b is heavier: a is the coldest
  wait(1, "c");                              // turned away: the table is full
  render(store);                             // evicts a
  const uint32_t capacity = store.labels(LabelSpaceId::lock_resources).capacity();
  for (uint32_t i = 0; i < capacity; ++i) wait(1, "x" + std::to_string(i));  // fill a's room
  for (int i = 0; i < 5; ++i) wait(0, "a");  // slot 0's cache remembered a's old slot
  const std::string text = render(store);
  EXPECT_EQ(family_sum(text, "neuroquantum_lock_resource_wait_seconds_total"),
            1 + 4 + 1 + capacity + 5);
  EXPECT_EQ(
      sample_value(
          text,
          R"(neuroquantum_lock_resource_wait_seconds_total{resource="b",lock_type="shared"})"),
      4);
  for (uint32_t i = 0; i < capacity; ++i) {
    const auto x = sample_value(text, "neuroquantum_lock_resource_wait_seconds_total{resource=\"x" +
                                          std::to_string(i) + "\",lock_type=\"shared\"}");
    if (x) {
      EXPECT_EQ(*x, 1) << "x" << i << " received a's counts\n" << text;
    }
  }
}

// Two engine threads send lock waits on more resources than the space keeps
// while a scraper collects (draining their caches, evicting cold values):
// what a scrape shows never decreases, and the last one shows every wait.
TEST(MetricStore, LabelCachesKeepTotalsExactUnderConcurrentScrapesAndEvictions) {
  constexpr uint32_t kThreads = 2, kWaits = 20'000;
  StoreOptions o = options(kThreads);
  o.bounds[static_cast<size_t>(LabelSpaceId::lock_resources)] = 16;
  MetricStore store(o);
  EventRecorder recorder(store, RecorderOptions{});
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    double last = 0;
    while (!done.load()) {
      const double now = family_sum(render(store), "neuroquantum_lock_resource_wait_seconds_total");
      EXPECT_GE(now, last);
      last = now;
    }
  });
  std::vector<std::thread> engine;
  for (uint32_t t = 0; t < kThreads; ++t) {
    engine.emplace_back([&, t] {
      const std::string names[] = {"hot", "warm-" + std::to_string(t)};
      for (uint32_t i = 0; i < kWaits; ++i) {
        // Mostly two heavy values, and a long tail that keeps the top-K evicting.
        const std::string tail = "cold-" + std::to_string((i * 13 + t) % 64);
        const std::string& resource = i % 4 == 3 ? tail : names[i % 2];
        nq_lock_wait_event e{};
        e.struct_size = sizeof e;
        e.lock_type = NQ_LOCK_EXCLUSIVE;
        e.wait_ns = 1'000'000'000;
        e.resource = {resource.data(), resource.size()};
        recorder.on_lock_wait_end(t, e);
      }
    });
  }
  for (auto& thread : engine) thread.join();
  done = true;
  scraper.join();
  EXPECT_EQ(family_sum(render(store), "neuroquantum_lock_resource_wait_seconds_total"),
            double{kThreads} * kWaits);
}

// The values of neuroquantum_connection_errors_total{reason} in a scrape of
// `store`, one per sample (parse_exposition also checks the whole scrape).
std::vector<double> connection_errors_of(MetricStore& store, const std::string& reason) {
  std::string error;
  const auto samples = nq::testing::parse_exposition(render(store), error);
  EXPECT_TRUE(samples) << error;
  std::vector<double> values;
  for (const nq::testing::Sample& s : samples.value_or(nq::testing::Samples{})) {
    if (s.name == "neuroquantum_connection_errors_total" &&
        s.labels == std::map<std::string, std::string>{{"reason", reason}}) {
      values.push_back(s.value);
    }
  }
  return values;
}

// Two racing inserts of one key can leave it in two slots of its probe
// window for a moment (label_table.hpp). A scrape then shows one series,
// which holds what both slots counted, and the next scrape no more than that.
TEST(MetricStore, AKeyInTwoSlotsIsOneSeriesWithTheCountsOfBoth) {
  MetricStore store(options(2));
  LabelTable& reasons = store.labels(LabelSpaceId::connection_error_reasons);
  const uint32_t first = reasons.find_or_insert("timeout");
  const uint32_t copy = first + 1 == reasons.slot_count() ? 0 : first + 1;
  LabelTableTestPeer::copy_slot(reasons, first, copy);
  store.count(0, FamilyId::connection_errors_total, 0, 3, first);
  store.count(1, FamilyId::connection_errors_total, 0, 4, copy);
  for (int scrape = 0; scrape < 2; ++scrape) {
    EXPECT_EQ(connection_errors_of(store, "timeout"), std::vector<double>{7})
        << "scrape " << scrape;
  }
}

// The same when the key's probe window wraps around the end of the table:
// the key in the last slot, its copy in the first, and the table larger than
// a probe window (so that the first slot is not within one of the last).
TEST(MetricStore, AKeyInTwoSlotsAcrossTheTablesEndIsOneSeries) {
  StoreOptions o = options(2);
  o.bounds[static_cast<size_t>(LabelSpaceId::connection_error_reasons)] = 200;
  MetricStore store(o);
  LabelTable& reasons = store.labels(LabelSpaceId::connection_error_reasons);
  ASSERT_GT(reasons.slot_count(), 2 * LabelTable::kProbeWindow);
  const uint32_t last = reasons.slot_count() - 1;
  std::string key;
  for (int i = 0;
       LabelTableTestPeer::home_slot(reasons, key = "reason-" + std::to_string(i)) != last; ++i) {
  }
  ASSERT_EQ(reasons.find_or_insert(key), last);
  LabelTableTestPeer::copy_slot(reasons, last, 0);
  reasons.find_or_insert("another");  // a value between the two in the scan
  store.count(0, FamilyId::connection_errors_total, 0, 5, last);
  store.count(1, FamilyId::connection_errors_total, 0, 6, 0);
  EXPECT_EQ(connection_errors_of(store, key), std::vector<double>{11});
}

// The thread's cache knows a WebSocket connection by its number's bytes, all
// eight of them: two numbers alike in their low half are two series.
TEST(MetricStore, DroppedMessagesCountPerConnectionNumber) {
  MetricStore store(options(1));
  EventRecorder recorder(store, RecorderOptions{});
  auto drop = [&](uint64_t connection, uint64_t messages) {
    nq_ws_drop_event e{};
    e.struct_size = sizeof e;
    e.reason = NQ_WS_DROP_QUEUE_FULL;
    e.connection_id = connection;
    e.messages = messages;
    recorder.on_ws_drop(0, e);
  };
  constexpr uint64_t kHigh = uint64_t{1} << 32;
  for (int i = 0; i < 2; ++i) {
    drop(5, 2);
    drop(5 + kHigh, 3);
  }
  const std::string text = render(store);
  const std::string family = "neuroquantum_websocket_connection_dropped_messages_total";
  EXPECT_EQ(sample_value(text, family + R"({connection="5"})"), 4) << text;
  EXPECT_EQ(sample_value(text, family + "{connection=\"" + std::to_string(5 + kHigh) + "\"}"), 6)
      << text;
}

}  // namespace
}  // namespace nq::metrics
