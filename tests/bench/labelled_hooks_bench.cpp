// Cost of recording the events whose labels the engine sends as strings (error
// types, reasons, table and index names, channels, connections, quantum
// operations, a statement's digest, database, user and application), each
// value cycling over a realistic set: the real plugin called through the host
// runtime against prometheus-cpp used naively (Family::Add(labels) per metric
// per event) and with handles resolved for every value before the loop, as
// hot_path_bench.cpp's BM_LockWait_* do. The prometheus-cpp side records the
// families the plugin records for the event, with the same labels. Run at 1
// and 2 threads; the time is CPU time per event (per pair for statements and
// subscriptions).
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugin_host.hpp"

namespace {

using nq::bench::plugin_host;
using nq::bench::str;
using prometheus::Counter;
using prometheus::Gauge;
using prometheus::Histogram;

template <class Event>
Event event() {
  Event e{};
  e.struct_size = sizeof e;
  return e;
}

// `prefix` + 0, 1, ... N - 1: N distinct values of an engine-valued label.
template <size_t N>
std::array<std::string, N> numbered(std::string_view prefix) {
  std::array<std::string, N> values;
  for (size_t i = 0; i < N; ++i) values[i] = std::string(prefix) + std::to_string(i);
  return values;
}

// N x M values of a pair of labels (table and index, subsystem and error
// type): value v is (first[v / M], second[v % M]).
template <size_t N, size_t M>
struct Pairs {
  static constexpr size_t kValues = N * M;
  std::array<std::string, N> first;
  std::array<std::string, M> second;
  const std::string& first_of(size_t v) const { return first[v / M]; }
  const std::string& second_of(size_t v) const { return second[v % M]; }
};

// The plugin's default bounds (metric_catalogue.cpp), for the histograms.
const Histogram::BucketBoundaries kQueryBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
const Histogram::BucketBoundaries kQuantumBuckets = {0.001, 0.005, 0.01, 0.05, 0.1,
                                                     0.5,   1.0,   5.0,  10.0, 30.0};

// The families an exporter written with prometheus-cpp would have for these
// events, named and labelled as the plugin's.
struct Families {
  prometheus::Registry registry;
  prometheus::Family<Counter>& counter(const char* name) {
    return prometheus::BuildCounter().Name(name).Register(registry);
  }
  prometheus::Family<Gauge>& gauge(const char* name) {
    return prometheus::BuildGauge().Name(name).Register(registry);
  }
  prometheus::Family<Histogram>& histogram(const char* name) {
    return prometheus::BuildHistogram().Name(name).Register(registry);
  }
  // A statement
  prometheus::Family<Gauge>& active = gauge("active_queries");
  prometheus::Family<Counter>& queries = counter("queries_total");
  prometheus::Family<Histogram>& duration = histogram("query_duration_seconds");
  prometheus::Family<Counter>& phases = counter("query_phase_seconds_total");
  prometheus::Family<Counter>& rows_examined = counter("query_rows_examined_total");
  prometheus::Family<Counter>& rows_returned = counter("query_rows_returned_total");
  prometheus::Family<Counter>& query_errors = counter("query_errors_total");
  prometheus::Family<Counter>& database_queries = counter("database_queries_total");
  prometheus::Family<Histogram>& database_duration = histogram("database_query_duration_seconds");
  prometheus::Family<Counter>& user_queries = counter("user_queries_total");
  prometheus::Family<Counter>& user_seconds = counter("user_query_duration_seconds_total");
  prometheus::Family<Counter>& application_queries = counter("application_queries_total");
  prometheus::Family<Counter>& application_seconds =
      counter("application_query_duration_seconds_total");
  prometheus::Family<Gauge>& digest_info = gauge("query_digest_info");
  prometheus::Family<Counter>& digest_calls = counter("query_digest_calls_total");
  prometheus::Family<Counter>& digest_seconds = counter("query_digest_duration_seconds_total");
  prometheus::Family<Counter>& digest_rows = counter("query_digest_rows_examined_total");
  // Connections, indexes, WebSocket, errors, quantum search
  prometheus::Family<Counter>& connection_errors = counter("connection_errors_total");
  prometheus::Family<Counter>& index_scans = counter("index_scans_total");
  prometheus::Family<Counter>& index_rows = counter("index_rows_read_total");
  prometheus::Family<Counter>& index_lookups = counter("index_lookups_total");
  prometheus::Family<Counter>& ws_dropped = counter("websocket_messages_dropped_total");
  prometheus::Family<Counter>& ws_connection_dropped =
      counter("websocket_connection_dropped_messages_total");
  prometheus::Family<Gauge>& ws_subscribers = gauge("websocket_channel_subscribers");
  prometheus::Family<Counter>& errors = counter("errors_total");
  prometheus::Family<Counter>& quantum_operations = counter("quantum_operations_total");
  prometheus::Family<Histogram>& quantum_duration = histogram("quantum_operation_duration_seconds");
};

Families& families() {
  static Families f;
  return f;
}

// ---- The three ways of recording, shared by every hook ----------------------
//
// A hook H has kValues (a power of two) values of its labels; i-th event
// carries value i mod kValues. H::call(host, v) makes the engine's hook
// call(s) for value v; H::resolve(families, v) looks up (Family::Add) one
// handle per metric update of that event; H::record(handles) makes the
// updates. Naive is resolve and record per event; handles resolve every
// value before the loop.

template <class H>
constexpr size_t value_of(size_t i) {
  static_assert(std::has_single_bit(H::kValues));
  return i & (H::kValues - 1);
}

template <class H>
void plugin_calls(benchmark::State& state) {
  nq_host* host = plugin_host();
  H hook;
  size_t i = 0;
  for (auto _ : state) hook.call(host, value_of<H>(i++));
}

template <class H>
void promcpp_naive(benchmark::State& state) {
  Families& f = families();
  size_t i = 0;
  for (auto _ : state) H::record(H::resolve(f, value_of<H>(i++)));
}

template <class H>
void promcpp_handles(benchmark::State& state) {
  Families& f = families();
  std::vector<typename H::Handles> handles;
  for (size_t v = 0; v < H::kValues; ++v) handles.push_back(H::resolve(f, v));
  size_t i = 0;
  for (auto _ : state) H::record(handles[value_of<H>(i++)]);  // the engine would keep this map
}

// BM_<Event>_Plugin, BM_<Event>_PromCppNaive, BM_<Event>_PromCppHandles.
#define NQ_LABELLED_HOOK_BENCHMARKS(Event)                    \
  void BM_##Event##_Plugin(benchmark::State& state) {         \
    plugin_calls<Event>(state);                               \
  }                                                           \
  void BM_##Event##_PromCppNaive(benchmark::State& state) {   \
    promcpp_naive<Event>(state);                              \
  }                                                           \
  void BM_##Event##_PromCppHandles(benchmark::State& state) { \
    promcpp_handles<Event>(state);                            \
  }

// ---- A statement: query begin + end ----------------------------------------
//
// Every statement is a SELECT of 300 us that examines 40 rows and returns 4,
// run by an engine of ABI 1.2 (database, user and application given), not
// traced and not slow. What the three statement hooks vary is one of its
// engine-valued labels.

struct Statement {
  std::string error_type{};  // empty: it succeeded
  std::string database{}, user{}, application{};
  std::string digest{}, text{};  // empty: no digest
};

constexpr uint64_t kStatementNs = 300'000, kRowsExamined = 40, kRowsReturned = 4;
constexpr std::array<uint64_t, 5> kPhaseNs = {20'000, 30'000, 200'000, 0, 50'000};
constexpr std::array<const char*, 5> kPhaseNames = {"parse", "plan", "execute", "lock_wait",
                                                    "io_wait"};

struct StatementHandles {
  Gauge& began;  // active_queries + 1 at begin
  Gauge* digest_info;
  Gauge& ended;  // active_queries - 1 at end
  Counter& queries;
  Histogram& duration;
  std::array<Counter*, 5> phases;
  Counter& rows_examined;
  Counter& rows_returned;
  Counter* error;
  Counter& database_queries;
  Histogram& database_duration;
  Counter& user_queries;
  Counter& user_seconds;
  Counter& application_queries;
  Counter& application_seconds;
  Counter* digest_calls;
  Counter* digest_seconds;
  Counter* digest_rows;
};

StatementHandles resolve_statement(Families& f, const Statement& s) {
  const std::string status = s.error_type.empty() ? "success" : "error";
  const prometheus::Labels select{{"query_type", "select"}};
  const prometheus::Labels digest{{"database", s.database}, {"digest", s.digest}};
  const bool has_digest = !s.digest.empty();
  StatementHandles h{
      f.active.Add({}),
      has_digest
          ? &f.digest_info.Add({{"database", s.database}, {"digest", s.digest}, {"query", s.text}})
          : nullptr,
      f.active.Add({}),
      f.queries.Add({{"query_type", "select"}, {"status", status}}),
      f.duration.Add(select, kQueryBuckets),
      {},
      f.rows_examined.Add(select),
      f.rows_returned.Add(select),
      s.error_type.empty() ? nullptr : &f.query_errors.Add({{"error_type", s.error_type}}),
      f.database_queries.Add({{"database", s.database}, {"status", status}}),
      f.database_duration.Add({{"database", s.database}}, kQueryBuckets),
      f.user_queries.Add({{"user", s.user}, {"status", status}}),
      f.user_seconds.Add({{"user", s.user}}),
      f.application_queries.Add({{"application", s.application}}),
      f.application_seconds.Add({{"application", s.application}}),
      has_digest ? &f.digest_calls.Add(digest) : nullptr,
      has_digest ? &f.digest_seconds.Add(digest) : nullptr,
      has_digest ? &f.digest_rows.Add(digest) : nullptr,
  };
  for (size_t p = 0; p < kPhaseNames.size(); ++p) {
    h.phases[p] = &f.phases.Add({{"phase", kPhaseNames[p]}});
  }
  return h;
}

void record_statement(const StatementHandles& h) {
  constexpr double seconds = kStatementNs / 1e9;
  h.began.Increment();
  if (h.digest_info != nullptr) h.digest_info->Set(1);
  h.ended.Decrement();
  h.queries.Increment();
  h.duration.Observe(seconds);
  for (size_t p = 0; p < kPhaseNs.size(); ++p) h.phases[p]->Increment(kPhaseNs[p] / 1e9);
  h.rows_examined.Increment(kRowsExamined);
  h.rows_returned.Increment(kRowsReturned);
  if (h.error != nullptr) h.error->Increment();
  h.database_queries.Increment();
  h.database_duration.Observe(seconds);
  h.user_queries.Increment();
  h.user_seconds.Increment(seconds);
  h.application_queries.Increment();
  h.application_seconds.Increment(seconds);
  if (h.digest_calls != nullptr) {
    h.digest_calls->Increment();
    h.digest_seconds->Increment(seconds);
    h.digest_rows->Increment(kRowsExamined);
  }
}

// A statement hook: `Values` gives statement(v) for v < kValues.
template <class Values>
struct StatementHook : Values {
  using Handles = StatementHandles;
  nq_query_begin_event begin = event<nq_query_begin_event>();
  nq_query_end_event end = event<nq_query_end_event>();

  void call(nq_host* host, size_t v) {
    const Statement& s = Values::statement(v);
    begin.query_type = end.query_type = NQ_QUERY_SELECT;
    begin.database = end.database = str(s.database);
    begin.user = end.user = str(s.user);
    begin.application = end.application = str(s.application);
    begin.digest = end.digest = str(s.digest);
    begin.normalized_text = str(s.text);
    end.status = s.error_type.empty() ? NQ_QUERY_SUCCESS : NQ_QUERY_ERROR;
    end.error_type = str(s.error_type);
    end.duration_ns = kStatementNs;
    end.parse_ns = kPhaseNs[0];
    end.plan_ns = kPhaseNs[1];
    end.execute_ns = kPhaseNs[2];
    end.lock_wait_ns = kPhaseNs[3];
    end.io_wait_ns = kPhaseNs[4];
    end.rows_examined = kRowsExamined;
    end.rows_returned = kRowsReturned;
    nq_host_query_begin(host, &begin);
    nq_host_query_end(host, &end);
  }
  static Handles resolve(Families& f, size_t v) {
    return resolve_statement(f, Values::statement(v));
  }
  static void record(const Handles& h) { record_statement(h); }
};

// `kValues` statements built by make(v), kept for the run.
template <size_t N, Statement (*make)(size_t)>
struct Statements {
  static constexpr size_t kValues = N;
  static const Statement& statement(size_t v) {
    static const auto all = [] {
      std::vector<Statement> s;
      for (size_t i = 0; i < N; ++i) s.push_back(make(i));
      return s;
    }();
    return all[v];
  }
};

// The context of hot_path_bench.cpp's BM_QueryPair_Plugin_WithContext.
Statement with_fixed_context(Statement s) {
  s.database = "shop";
  s.user = "web";
  s.application = "storefront";
  return s;
}

// A failed statement, with one of 32 error types (max_query_error_types: 64).
Statement failed(size_t v) {
  return with_fixed_context({.error_type = "constraint_violation_" + std::to_string(v)});
}
using QueryError = StatementHook<Statements<32, failed>>;

// A statement of one of 64 digests, in one database (max_query_digests: 250).
Statement digested(size_t v) {
  return with_fixed_context({.digest = "3f2a9c41d0e8b7" + std::to_string(10 + v),
                             .text = "SELECT id, total FROM orders_" + std::to_string(v) +
                                     " WHERE customer_id = ? AND status = ?"});
}
using QueryDigest = StatementHook<Statements<64, digested>>;

// A statement with one of 64 contexts: 16 databases (max_databases: 64), 64
// users (max_users: 100), 16 applications (max_applications: 32).
Statement with_context_of(size_t v) {
  return {.database = "tenant_" + std::to_string(v % 16),
          .user = "user_" + std::to_string(v),
          .application = "service_" + std::to_string(v % 16)};
}
using QueryContext = StatementHook<Statements<64, with_context_of>>;

NQ_LABELLED_HOOK_BENCHMARKS(QueryError)
NQ_LABELLED_HOOK_BENCHMARKS(QueryDigest)
NQ_LABELLED_HOOK_BENCHMARKS(QueryContext)

// ---- A connection refused or failed, for one of 16 reasons -----------------
// (max_connection_error_reasons: 32)

struct ConnectionError {
  static constexpr size_t kValues = 16;
  static inline const auto kReasons = numbered<kValues>("auth_failed_");
  nq_connection_error_event e = event<nq_connection_error_event>();
  void call(nq_host* host, size_t v) {
    e.reason = str(kReasons[v]);
    nq_host_connection_error(host, &e);
  }
  struct Handles {
    Counter& errors;
  };
  static Handles resolve(Families& f, size_t v) {
    return {f.connection_errors.Add({{"reason", kReasons[v]}})};
  }
  static void record(const Handles& h) { h.errors.Increment(); }
};
NQ_LABELLED_HOOK_BENCHMARKS(ConnectionError)

// ---- An index scan on one of 64 (table, index) pairs: 16 tables x 4 indexes -

struct IndexScan {
  static inline const Pairs<16, 4> kIndexes{numbered<16>("orders_"), numbered<4>("idx_customer_")};
  static constexpr size_t kValues = decltype(kIndexes)::kValues;
  static constexpr uint64_t kRowsRead = 12;
  nq_index_scan_event e = event<nq_index_scan_event>();
  void call(nq_host* host, size_t v) {
    e.table = str(kIndexes.first_of(v));
    e.index = str(kIndexes.second_of(v));
    e.hit = 1;
    e.rows_read = kRowsRead;
    nq_host_index_scan(host, &e);
  }
  struct Handles {
    Counter& scans;
    Counter& rows;
    Counter& lookups;
  };
  static Handles resolve(Families& f, size_t v) {
    const prometheus::Labels labels{{"table", kIndexes.first_of(v)},
                                    {"index", kIndexes.second_of(v)}};
    return {f.index_scans.Add(labels), f.index_rows.Add(labels),
            f.index_lookups.Add({{"result", "hit"}})};
  }
  static void record(const Handles& h) {
    h.scans.Increment();
    h.rows.Increment(kRowsRead);
    h.lookups.Increment();
  }
};
NQ_LABELLED_HOOK_BENCHMARKS(IndexScan)

// ---- One of 64 (table, index) pairs created and dropped ---------------------
// DDL, not a hot path; the plugin gives a created index its series at 0 and
// moves a dropped one's counts to __other__. A series cannot be resolved
// before it exists: the handles variant keeps what Family::Add returned at
// creation and removes with it at the drop, the naive one looks the series
// up again (Family::Add) to remove it.

using IndexLifecycle = Pairs<16, 4>;
const IndexLifecycle kNewIndexes{numbered<16>("staging_orders_"), numbered<4>("idx_import_")};

void BM_IndexLifecycle_Plugin(benchmark::State& state) {
  nq_host* host = plugin_host();
  nq_index_event e = event<nq_index_event>();
  size_t i = 0;
  for (auto _ : state) {
    const size_t v = value_of<IndexLifecycle>(i++);
    e.table = str(kNewIndexes.first_of(v));
    e.index = str(kNewIndexes.second_of(v));
    nq_host_index_created(host, &e);
    nq_host_index_dropped(host, &e);
  }
}

void index_lifecycles(benchmark::State& state, bool look_up_at_drop) {
  Families& f = families();
  size_t i = 0;
  for (auto _ : state) {
    const size_t v = value_of<IndexLifecycle>(i++);
    const prometheus::Labels labels{{"table", kNewIndexes.first_of(v)},
                                    {"index", kNewIndexes.second_of(v)}};
    Counter* scans = &f.index_scans.Add(labels);
    Counter* rows = &f.index_rows.Add(labels);
    if (look_up_at_drop) {
      scans = &f.index_scans.Add(labels);
      rows = &f.index_rows.Add(labels);
    }
    f.index_scans.Remove(scans);
    f.index_rows.Remove(rows);
  }
}

void BM_IndexLifecycle_PromCppNaive(benchmark::State& state) {
  index_lifecycles(state, /*look_up_at_drop=*/true);
}

void BM_IndexLifecycle_PromCppHandles(benchmark::State& state) {
  index_lifecycles(state, /*look_up_at_drop=*/false);
}

// ---- Messages dropped on one of 64 WebSocket connections --------------------
// The engine sends the connection's id, a number: the plugin writes it as the
// label's value, as the naive exporter does with std::to_string per event.

struct WebSocketDrop {
  static constexpr size_t kValues = 64;
  static constexpr uint64_t kFirstConnection = 7'340'000, kMessages = 3;
  nq_ws_drop_event e = event<nq_ws_drop_event>();
  void call(nq_host* host, size_t v) {
    e.reason = NQ_WS_DROP_QUEUE_FULL;
    e.connection_id = kFirstConnection + v;
    e.messages = kMessages;
    nq_host_ws_drop(host, &e);
  }
  struct Handles {
    Counter& dropped;
    Counter& connection_dropped;
  };
  static Handles resolve(Families& f, size_t v) {
    return {f.ws_dropped.Add({{"reason", "queue_full"}}),
            f.ws_connection_dropped.Add({{"connection", std::to_string(kFirstConnection + v)}})};
  }
  static void record(const Handles& h) {
    h.dropped.Increment(kMessages);
    h.connection_dropped.Increment(kMessages);
  }
};
NQ_LABELLED_HOOK_BENCHMARKS(WebSocketDrop)

// ---- A subscription to one of 64 WebSocket channels and its end ------------

struct WebSocketSubscription {
  static constexpr size_t kValues = 64;
  static inline const auto kChannels = numbered<kValues>("orders.region_");
  nq_ws_channel_event e = event<nq_ws_channel_event>();
  void call(nq_host* host, size_t v) {
    e.channel = str(kChannels[v]);
    e.subscribers = 1;
    nq_host_ws_subscribe(host, &e);
    e.subscribers = 0;
    nq_host_ws_unsubscribe(host, &e);
  }
  struct Handles {
    Gauge& subscribed;
    Gauge& unsubscribed;
  };
  static Handles resolve(Families& f, size_t v) {
    const prometheus::Labels labels{{"channel", kChannels[v]}};
    return {f.ws_subscribers.Add(labels), f.ws_subscribers.Add(labels)};
  }
  static void record(const Handles& h) {
    h.subscribed.Increment();
    h.unsubscribed.Decrement();
  }
};
NQ_LABELLED_HOOK_BENCHMARKS(WebSocketSubscription)

// ---- An error in one of 64 (subsystem, error type) pairs: 8 x 8 -------------

struct SubsystemError {
  static inline const Pairs<8, 8> kErrors{
      {"storage", "wal", "network", "query", "websocket", "quantum", "replication", "planner"},
      numbered<8>("io_error_")};
  static constexpr size_t kValues = decltype(kErrors)::kValues;
  nq_error_event e = event<nq_error_event>();
  void call(nq_host* host, size_t v) {
    e.subsystem = str(kErrors.first_of(v));
    e.error_type = str(kErrors.second_of(v));
    nq_host_error(host, &e);
  }
  struct Handles {
    Counter& errors;
  };
  static Handles resolve(Families& f, size_t v) {
    return {
        f.errors.Add({{"subsystem", kErrors.first_of(v)}, {"error_type", kErrors.second_of(v)}})};
  }
  static void record(const Handles& h) { h.errors.Increment(); }
};
NQ_LABELLED_HOOK_BENCHMARKS(SubsystemError)

// ---- One of 16 quantum search operations ended (max_quantum_operations: 32) -

struct QuantumOperation {
  static constexpr size_t kValues = 16;
  static inline const auto kOperations = numbered<kValues>("grover_search_");
  static constexpr uint64_t kDurationNs = 4'000'000;
  nq_quantum_operation_event e = event<nq_quantum_operation_event>();
  void call(nq_host* host, size_t v) {
    e.operation = str(kOperations[v]);
    e.succeeded = 1;
    e.duration_ns = kDurationNs;
    nq_host_quantum_operation(host, &e);
  }
  struct Handles {
    Counter& operations;
    Histogram& duration;
  };
  static Handles resolve(Families& f, size_t v) {
    return {f.quantum_operations.Add({{"operation", kOperations[v]}, {"status", "success"}}),
            f.quantum_duration.Add({{"operation", kOperations[v]}}, kQuantumBuckets)};
  }
  static void record(const Handles& h) {
    h.operations.Increment();
    h.duration.Observe(kDurationNs / 1e9);
  }
};
NQ_LABELLED_HOOK_BENCHMARKS(QuantumOperation)

}  // namespace

NQ_BENCH_THREADS(BM_QueryError_Plugin);
NQ_BENCH_THREADS(BM_QueryError_PromCppNaive);
NQ_BENCH_THREADS(BM_QueryError_PromCppHandles);
NQ_BENCH_THREADS(BM_QueryDigest_Plugin);
NQ_BENCH_THREADS(BM_QueryDigest_PromCppNaive);
NQ_BENCH_THREADS(BM_QueryDigest_PromCppHandles);
NQ_BENCH_THREADS(BM_QueryContext_Plugin);
NQ_BENCH_THREADS(BM_QueryContext_PromCppNaive);
NQ_BENCH_THREADS(BM_QueryContext_PromCppHandles);
NQ_BENCH_THREADS(BM_ConnectionError_Plugin);
NQ_BENCH_THREADS(BM_ConnectionError_PromCppNaive);
NQ_BENCH_THREADS(BM_ConnectionError_PromCppHandles);
NQ_BENCH_THREADS(BM_IndexScan_Plugin);
NQ_BENCH_THREADS(BM_IndexScan_PromCppNaive);
NQ_BENCH_THREADS(BM_IndexScan_PromCppHandles);
NQ_BENCH_THREADS(BM_IndexLifecycle_Plugin);
NQ_BENCH_THREADS(BM_IndexLifecycle_PromCppNaive);
NQ_BENCH_THREADS(BM_IndexLifecycle_PromCppHandles);
NQ_BENCH_THREADS(BM_WebSocketDrop_Plugin);
NQ_BENCH_THREADS(BM_WebSocketDrop_PromCppNaive);
NQ_BENCH_THREADS(BM_WebSocketDrop_PromCppHandles);
NQ_BENCH_THREADS(BM_WebSocketSubscription_Plugin);
NQ_BENCH_THREADS(BM_WebSocketSubscription_PromCppNaive);
NQ_BENCH_THREADS(BM_WebSocketSubscription_PromCppHandles);
NQ_BENCH_THREADS(BM_SubsystemError_Plugin);
NQ_BENCH_THREADS(BM_SubsystemError_PromCppNaive);
NQ_BENCH_THREADS(BM_SubsystemError_PromCppHandles);
NQ_BENCH_THREADS(BM_QuantumOperation_Plugin);
NQ_BENCH_THREADS(BM_QuantumOperation_PromCppNaive);
NQ_BENCH_THREADS(BM_QuantumOperation_PromCppHandles);
