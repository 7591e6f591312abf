#include "engine_activity.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>

#include "events.hpp"
#include "nq/nq_abi_cpp.hpp"

namespace nq::mock {
namespace {

using nq::to_nq_str;
using Clock = std::chrono::steady_clock;

struct IndexName {
  std::string_view table;
  std::string_view index;
};
// The last index is never used by any statement: "unused index" has data.
constexpr std::array<IndexName, 6> kIndexes = {{{"orders", "orders_pkey"},
                                                {"orders", "idx_orders_customer"},
                                                {"customers", "customers_pkey"},
                                                {"events", "idx_events_created_at"},
                                                {"inventory", "inventory_sku_key"},
                                                {"orders", "idx_orders_legacy_note"}}};
constexpr size_t kUsedIndexes = kIndexes.size() - 1;

constexpr std::array<std::string_view, 5> kLockResources = {
    "table:orders", "table:inventory", "row:orders:42", "row:inventory:sku-7", "table:events"};
constexpr std::array<std::string_view, 5> kChannels = {"prices", "orders", "alerts", "chat:lobby",
                                                       "metrics"};
constexpr std::array<std::string_view, 3> kQuantumOperations = {"grover_search", "annealing",
                                                                "amplitude_estimation"};
struct ErrorKind {
  std::string_view subsystem;
  std::string_view error_type;
};
constexpr std::array<ErrorKind, 4> kErrors = {{{"storage", "checksum_mismatch"},
                                               {"network", "connection_reset"},
                                               {"wal", "write_timeout"},
                                               {"query", "out_of_memory"}}};

constexpr uint64_t kWalSegmentBytes = 16 << 20;
constexpr auto kTick = std::chrono::milliseconds(100);
constexpr uint32_t kTicksPerSample = 10;  // gauges sampled once a second

// Connection ids of WebSocket clients and database sessions, with their state.
struct Sessions {
  std::vector<uint64_t> database;
  std::vector<uint64_t> websocket;
  std::vector<uint64_t> paused;
  std::array<uint32_t, kChannels.size()> subscribers{};
  uint32_t active_streams = 0;
  uint64_t next_id = 1;
  uint64_t wal_bytes = 0;
};

// On the first tick every kind of event happens once, so that every hook is
// exercised from the start (`first`).
void churn_database_sessions(nq_host* host, std::mt19937_64& rng, Sessions& s, bool first) {
  if (s.database.size() < 20 || chance(rng, 0.3)) {
    auto e = make_event<nq_connection_event>();
    e.connection_id = s.next_id++;
    s.database.push_back(e.connection_id);
    nq_host_connection_open(host, &e);
  }
  if (first || (s.database.size() > 15 && chance(rng, 0.3))) {
    auto e = make_event<nq_connection_event>();
    e.connection_id = s.database.front();
    e.duration_ns = between(rng, 1'000'000'000, 60'000'000'000);
    s.database.erase(s.database.begin());
    nq_host_connection_close(host, &e);
  }
  if (first || chance(rng, 0.02)) {
    auto e = make_event<nq_connection_error_event>();
    e.reason = to_nq_str(chance(rng, 0.5) ? "max_connections" : "auth_failed");
    nq_host_connection_error(host, &e);
  }
}

void websocket_traffic(nq_host* host, std::mt19937_64& rng, Sessions& s, bool first) {
  while (s.websocket.size() < 2 || (s.websocket.size() < 30 && chance(rng, 0.5))) {
    auto e = make_event<nq_ws_connection_event>();
    e.connection_id = s.next_id++;
    s.websocket.push_back(e.connection_id);
    nq_host_ws_connect(host, &e);
  }
  if (first || (s.websocket.size() > 25 && chance(rng, 0.2))) {
    auto e = make_event<nq_ws_disconnect_event>();
    e.connection_id = s.websocket.front();
    e.reason = static_cast<nq_ws_disconnect_reason>(between(rng, 0, 9) < 7 ? NQ_WS_DISCONNECT_CLIENT
                                                                           : between(rng, 1, 3));
    e.duration_ns = between(rng, 1'000'000'000, 600'000'000'000);
    s.websocket.erase(s.websocket.begin());
    nq_host_ws_disconnect(host, &e);
  }
  const size_t channel = between(rng, 0, kChannels.size() - 1);
  auto sub = make_event<nq_ws_channel_event>();
  sub.channel = to_nq_str(kChannels[channel]);
  sub.connection_id = s.websocket.empty() ? 0 : s.websocket.back();
  if (s.subscribers[channel] < 5 || chance(rng, 0.6)) {
    sub.subscribers = ++s.subscribers[channel];
    nq_host_ws_subscribe(host, &sub);
  } else {
    sub.subscribers = --s.subscribers[channel];
    nq_host_ws_unsubscribe(host, &sub);
  }
  for (int i = 0; i < 20; ++i) {
    auto m = make_event<nq_ws_message_event>();
    m.connection_id = s.websocket[between(rng, 0, s.websocket.size() - 1)];
    m.bytes = between(rng, 64, 4096);
    m.channel = to_nq_str(kChannels[between(rng, 0, kChannels.size() - 1)]);
    m.latency_ns = between(rng, 20'000, 5'000'000);
    nq_host_ws_send(host, &m);
    if (i % 4 == 0) {
      m.latency_ns = 0;
      nq_host_ws_receive(host, &m);
    }
  }
  if (first || chance(rng, 0.2)) {
    auto d = make_event<nq_ws_drop_event>();
    d.connection_id = s.websocket[between(rng, 0, std::min<size_t>(4, s.websocket.size() - 1))];
    d.reason = static_cast<nq_ws_drop_reason>(between(rng, 0, NQ_WS_DROP_REASON_COUNT - 1));
    d.messages = between(rng, 1, 5);
    nq_host_ws_drop(host, &d);
  }
  auto bp = make_event<nq_ws_backpressure_event>();
  if (s.paused.empty() || chance(rng, 0.1)) {
    bp.connection_id = s.websocket.back();
    bp.paused = 1;
    s.paused.push_back(bp.connection_id);
    nq_host_ws_backpressure(host, &bp);
  } else if (chance(rng, 0.3)) {
    bp.connection_id = s.paused.front();
    s.paused.erase(s.paused.begin());
    nq_host_ws_backpressure(host, &bp);
  }
  auto stream = make_event<nq_ws_stream_event>();
  stream.stream_id = s.next_id++;
  if (s.active_streams < 3 || chance(rng, 0.3)) {
    ++s.active_streams;
    nq_host_ws_stream_start(host, &stream);
  }
  if (s.active_streams > 0 && (first || chance(rng, 0.5))) {
    --s.active_streams;
    stream.rows = between(rng, 10, 100'000);
    stream.duration_ns = between(rng, 50'000'000, 120'000'000'000);
    nq_host_ws_stream_end(host, &stream);
  }
}

void sample_gauges(nq_host* host, std::mt19937_64& rng, const Sessions& s,
                   const FaultInjector& faults) {
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  const std::array<std::pair<nq_gauge, double>, NQ_GAUGE_COUNT> samples = {{
      {NQ_GAUGE_MEMORY_USAGE_BYTES, 3.2 * kGiB + static_cast<double>(between(rng, 0, 1 << 28))},
      {NQ_GAUGE_MEMORY_LIMIT_BYTES, 8 * kGiB},
      {NQ_GAUGE_BUFFER_POOL_FREE_PAGES, static_cast<double>(between(rng, 1000, 4000))},
      {NQ_GAUGE_BUFFER_POOL_CLEAN_PAGES, static_cast<double>(between(rng, 20000, 24000))},
      {NQ_GAUGE_BUFFER_POOL_DIRTY_PAGES, static_cast<double>(between(rng, 500, 3000))},
      {NQ_GAUGE_CONNECTIONS_MAX, 200},
      {NQ_GAUGE_WEBSOCKET_CHANNELS, static_cast<double>(kChannels.size())},
      {NQ_GAUGE_STORAGE_FREE_BYTES, 120 * kGiB - static_cast<double>(s.wal_bytes)},
      {NQ_GAUGE_STORAGE_SIZE_BYTES, 500 * kGiB},
  }};
  for (const auto& [gauge, value] : samples) {
    auto e = make_event<nq_gauge_sample_event>();
    e.gauge = gauge;
    e.value = value;
    faults.adjust_gauge(gauge, e.value);
    nq_host_gauge_sample(host, &e);
  }
}

void rare_events(nq_host* host, std::mt19937_64& rng, Sessions& s, bool first) {
  if (first || chance(rng, 0.02)) {
    auto e = make_event<nq_error_event>();
    const ErrorKind& kind = kErrors[between(rng, 0, kErrors.size() - 1)];
    e.subsystem = to_nq_str(kind.subsystem);
    e.error_type = to_nq_str(kind.error_type);
    nq_host_error(host, &e);
  }
  if (first || chance(rng, 0.01)) {
    auto e = make_event<nq_deadlock_event>();
    e.participants = 2;
    nq_host_deadlock(host, &e);
  }
  for (int i = 0; i < 2; ++i) {
    auto e = make_event<nq_quantum_operation_event>();
    e.operation = to_nq_str(kQuantumOperations[between(rng, 0, kQuantumOperations.size() - 1)]);
    e.succeeded = 1;  // failures: fault profile quantum-failures
    e.duration_ns = between(rng, 2'000'000, 400'000'000);
    nq_host_quantum_operation(host, &e);
  }
  if (first || chance(rng, 0.005)) {  // a short-lived index: created, then dropped
    auto e = make_event<nq_index_event>();
    e.table = to_nq_str("events");
    e.index = to_nq_str("idx_events_tmp_rebuild");
    nq_host_index_created(host, &e);
    nq_host_index_dropped(host, &e);
  }
  if (first || s.wal_bytes >= kWalSegmentBytes) {
    s.wal_bytes -= std::min(s.wal_bytes, kWalSegmentBytes);
    auto e = make_event<nq_wal_segment_event>();
    e.segment_number = s.next_id++;
    nq_host_wal_segment(host, &e);
  }
}

}  // namespace

void announce_indexes(nq_host* host) {
  for (const IndexName& index : kIndexes) {
    auto e = make_event<nq_index_event>();
    e.table = to_nq_str(index.table);
    e.index = to_nq_str(index.index);
    nq_host_index_created(host, &e);
  }
}

void emit_query_io(nq_host* host, std::mt19937_64& rng, nq_query_type type, uint64_t query_id) {
  if (chance(rng, 0.1)) {
    auto q = make_event<nq_query_queue_event>();
    q.query_id = query_id;
    nq_host_query_queue_enter(host, &q);
    q.wait_ns = between(rng, 10'000, 2'000'000);
    nq_host_query_queue_leave(host, &q);
  }
  auto hit = make_event<nq_buffer_event>();
  hit.pages = static_cast<uint32_t>(between(rng, 4, 64));
  nq_host_buffer_hit(host, &hit);
  if (chance(rng, 0.05)) {
    auto miss = make_event<nq_buffer_event>();
    miss.pages = 1;
    nq_host_buffer_miss(host, &miss);
    auto read = make_event<nq_disk_io_event>();
    read.bytes = 8192;
    read.duration_ns = between(rng, 50'000, 2'000'000);
    nq_host_disk_read(host, &read);
    auto evict = make_event<nq_buffer_eviction_event>();
    evict.pages = 1;
    evict.dirty = chance(rng, 0.3) ? 1 : 0;
    nq_host_buffer_eviction(host, &evict);
    if (evict.dirty != 0) {
      auto write = make_event<nq_disk_io_event>();
      write.bytes = 8192;
      write.duration_ns = between(rng, 50'000, 4'000'000);
      nq_host_disk_write(host, &write);
    }
  }
  if (type == NQ_QUERY_SELECT || chance(rng, 0.5)) {
    const IndexName& index = kIndexes[between(rng, 0, kUsedIndexes - 1)];
    auto scan = make_event<nq_index_scan_event>();
    scan.table = to_nq_str(index.table);
    scan.index = to_nq_str(index.index);
    scan.hit = chance(rng, 0.9) ? 1 : 0;
    scan.rows_read = between(rng, 1, 200);
    nq_host_index_scan(host, &scan);
  }
  if (type == NQ_QUERY_SELECT) return;
  auto lock = make_event<nq_lock_wait_event>();
  lock.lock_type =
      type == NQ_QUERY_DDL ? NQ_LOCK_EXCLUSIVE : static_cast<nq_lock_type>(between(rng, 0, 3));
  lock.resource = to_nq_str(kLockResources[between(rng, 0, kLockResources.size() - 1)]);
  lock.wait_ns = between(rng, 5'000, 3'000'000);
  lock.acquired = 1;
  nq_host_lock_wait_end(host, &lock);
  auto wal = make_event<nq_wal_write_event>();
  wal.bytes = between(rng, 128, 16384);
  nq_host_wal_write(host, &wal);
  auto fsync = make_event<nq_wal_fsync_event>();
  fsync.duration_ns = between(rng, 80'000, 3'000'000);
  nq_host_wal_fsync(host, &fsync);
}

void BackgroundActivity::start() {
  thread_ = std::thread(&BackgroundActivity::run, this);
}

void BackgroundActivity::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundActivity::run() {
  std::mt19937_64 rng(seed_ ^ 0xB4C4u);
  Sessions sessions;
  FaultInjector faults(host_, faults_);
  auto next = Clock::now();
  for (uint32_t tick = 0;; ++tick) {
    const bool first = tick == 0;
    churn_database_sessions(host_, rng, sessions, first);
    websocket_traffic(host_, rng, sessions, first);
    rare_events(host_, rng, sessions, first);
    faults.tick(rng, first);
    sessions.wal_bytes += between(rng, 100'000, 400'000);
    if (tick % kTicksPerSample == 0) sample_gauges(host_, rng, sessions, faults);
    next += kTick;
    std::unique_lock lock(mutex_);
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
  }
}

}  // namespace nq::mock
