// Cost of recording an event: the real plugin called through the host runtime
// (dispatch + plugin, as an engine calls it) against prometheus-cpp used
// naively (Family::Add(labels) per event) and with pre-resolved handles.
// Run at 1 and 2 threads; the time is CPU time per event pair / event.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "nq/testing/exposition_samples.hpp"
#include "nq/testing/http_client.hpp"
#include "plugin_host.hpp"

namespace {

using nq::bench::plugin_engine;
using nq::bench::plugin_host;
using nq::bench::str;

const std::array<std::string, 64>& lock_resources() {
  static const auto names = [] {
    std::array<std::string, 64> n;
    for (size_t i = 0; i < n.size(); ++i) n[i] = "table:orders_" + std::to_string(i);
    return n;
  }();
  return names;
}

const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

// The families an exporter written with prometheus-cpp would have.
struct PromCpp {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& queries =
      prometheus::BuildCounter().Name("queries_total").Register(registry);
  prometheus::Family<prometheus::Histogram>& duration =
      prometheus::BuildHistogram().Name("query_duration_seconds").Register(registry);
  prometheus::Family<prometheus::Gauge>& active =
      prometheus::BuildGauge().Name("active_queries").Register(registry);
  prometheus::Family<prometheus::Counter>& lock_seconds =
      prometheus::BuildCounter().Name("lock_wait_seconds_total").Register(registry);
  prometheus::Family<prometheus::Counter>& lock_waits =
      prometheus::BuildCounter().Name("lock_waits_total").Register(registry);
  prometheus::Family<prometheus::Histogram>& lock_duration =
      prometheus::BuildHistogram().Name("lock_wait_duration_seconds").Register(registry);
  prometheus::Family<prometheus::Counter>& resource_seconds =
      prometheus::BuildCounter().Name("lock_resource_wait_seconds_total").Register(registry);
  prometheus::Family<prometheus::Counter>& ws_sent =
      prometheus::BuildCounter().Name("websocket_messages_sent_total").Register(registry);
  prometheus::Family<prometheus::Counter>& ws_bytes =
      prometheus::BuildCounter().Name("websocket_messages_sent_bytes_total").Register(registry);
  prometheus::Family<prometheus::Histogram>& ws_latency =
      prometheus::BuildHistogram().Name("websocket_message_latency_seconds").Register(registry);
};

PromCpp& promcpp() {
  static PromCpp p;
  return p;
}

// ---- query begin + end: a counter, a histogram, a gauge up and down ----------

// `with_context`: database, user, application and the trace context set (ABI
// 1.2), as a traced statement of an engine of 1.2 sends them; without, as an
// engine of 1.1 (every breakdown still counts it, under the empty value).
void query_pairs(benchmark::State& state, bool with_context = false) {
  nq_host* host = plugin_host();
  nq_query_begin_event begin{};
  begin.struct_size = sizeof begin;
  begin.query_type = NQ_QUERY_SELECT;
  nq_query_end_event end{};
  end.struct_size = sizeof end;
  end.query_type = NQ_QUERY_SELECT;
  end.status = NQ_QUERY_SUCCESS;
  if (with_context) {
    static constexpr std::string_view kDatabase = "shop", kUser = "web",
                                      kApplication = "storefront";
    begin.database = end.database = nq_str{kDatabase.data(), kDatabase.size()};
    begin.user = end.user = nq_str{kUser.data(), kUser.size()};
    begin.application = end.application = nq_str{kApplication.data(), kApplication.size()};
    for (uint8_t i = 0; i < 16; ++i) begin.trace_id[i] = end.trace_id[i] = i + 1;
    for (uint8_t i = 0; i < 8; ++i) begin.span_id[i] = end.span_id[i] = i + 1;
  }
  uint64_t d = 0;
  for (auto _ : state) {
    nq_host_query_begin(host, &begin);
    end.duration_ns = (d++ & 0xFFFFF) * 1000;
    // Every statement traced, ending 50 ns after the last (the engine's clock).
    if (with_context) end.timestamp_ns = d * 50;
    nq_host_query_end(host, &end);
  }
}

void BM_QueryPair_Plugin(benchmark::State& state) {
  query_pairs(state);
}

void BM_QueryPair_Plugin_WithContext(benchmark::State& state) {
  query_pairs(state, /*with_context=*/true);
}

// The same while another thread scrapes /metrics over loopback as fast as
// it can (a scrape flood): what serving costs the hook calls. The plugin
// serves on its own threads, so the hook thread's CPU time per event moves
// only through shared caches and memory bandwidth.
void BM_QueryPair_Plugin_WhileScraped(benchmark::State& state) {
  plugin_host();
  const uint16_t port = plugin_engine().metrics_port();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> scrapes{0}, failed{0};
  std::thread scraper([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const auto reply = nq::testing::http_get("127.0.0.1", port, "/metrics");
      (reply.status == 200 ? scrapes : failed).fetch_add(1, std::memory_order_relaxed);
    }
  });
  const auto began = std::chrono::steady_clock::now();
  query_pairs(state);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - began;
  stop = true;
  scraper.join();
  state.counters["scrapes_per_s"] = static_cast<double>(scrapes.load()) / took.count();
  state.counters["failed_scrapes"] = static_cast<double>(failed.load());
}

// The same while nq-listener-attacker holds 3,000 connections dribbling
// unfinished request heads and 1,000 silent ones against the plugin's
// listener (reconnecting whenever cut), and scrapes it four times a second:
// what a connection flood costs the hook calls.
void BM_QueryPair_Plugin_WhileAttacked(benchmark::State& state) {
  plugin_host();
  const std::string port = std::to_string(plugin_engine().metrics_port());
  const char* argv[] = {NQ_ATTACKER_PATH, "--port", port.c_str(), "--dribblers", "3000",
                        "--silent",       "1000",   "--seconds",  "3600",        nullptr};
  posix_spawn_file_actions_t quiet;
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t attacker = -1;
  if (posix_spawn(&attacker, NQ_ATTACKER_PATH, &quiet, nullptr, const_cast<char**>(argv),
                  environ) != 0) {
    state.SkipWithError("cannot start nq-listener-attacker");
    return;
  }
  posix_spawn_file_actions_destroy(&quiet);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the attack is held
  query_pairs(state);
  std::string error;
  const auto reply = nq::testing::http_get("127.0.0.1", plugin_engine().metrics_port(), "/metrics");
  if (const auto samples = nq::testing::parse_exposition(reply.body, error)) {
    state.counters["held_connections"] =
        nq::testing::value_of(*samples, "neuroquantum_plugin_http_connections_open").value_or(0);
  }
  ::kill(attacker, SIGTERM);
  ::waitpid(attacker, nullptr, 0);
}

void BM_QueryPair_PromCppNaive(benchmark::State& state) {
  PromCpp& p = promcpp();
  double d = 0;
  for (auto _ : state) {
    p.active.Add({}).Increment();
    p.active.Add({}).Decrement();
    p.queries.Add({{"query_type", "select"}, {"status", "success"}}).Increment();
    p.duration.Add({{"query_type", "select"}}, kDurationBuckets).Observe(d);
    d = d > 1 ? 0 : d + 0.001;
  }
}

void BM_QueryPair_PromCppHandles(benchmark::State& state) {
  PromCpp& p = promcpp();
  auto& active = p.active.Add({});
  auto& queries = p.queries.Add({{"query_type", "select"}, {"status", "success"}});
  auto& duration = p.duration.Add({{"query_type", "select"}}, kDurationBuckets);
  double d = 0;
  for (auto _ : state) {
    active.Increment();
    active.Decrement();
    queries.Increment();
    duration.Observe(d);
    d = d > 1 ? 0 : d + 0.001;
  }
}

// ---- a lock wait on one of 64 named resources ------------------------------

void BM_LockWait_Plugin(benchmark::State& state) {
  nq_host* host = plugin_host();
  nq_lock_wait_event e{};
  e.struct_size = sizeof e;
  e.lock_type = NQ_LOCK_EXCLUSIVE;
  e.acquired = 1;
  size_t i = 0;
  for (auto _ : state) {
    e.resource = str(lock_resources()[i++ & 63]);
    e.wait_ns = 20'000 + (i & 1023);
    nq_host_lock_wait_end(host, &e);
  }
}

void BM_LockWait_PromCppNaive(benchmark::State& state) {
  PromCpp& p = promcpp();
  size_t i = 0;
  for (auto _ : state) {
    const std::string& resource = lock_resources()[i++ & 63];
    const double seconds = 20e-6;
    p.lock_seconds.Add({{"lock_type", "exclusive"}}).Increment(seconds);
    p.lock_waits.Add({{"lock_type", "exclusive"}}).Increment();
    p.lock_duration.Add({{"lock_type", "exclusive"}}, kDurationBuckets).Observe(seconds);
    p.resource_seconds.Add({{"resource", resource}, {"lock_type", "exclusive"}}).Increment(seconds);
  }
}

void BM_LockWait_PromCppHandles(benchmark::State& state) {
  PromCpp& p = promcpp();
  auto& seconds_total = p.lock_seconds.Add({{"lock_type", "exclusive"}});
  auto& waits = p.lock_waits.Add({{"lock_type", "exclusive"}});
  auto& duration = p.lock_duration.Add({{"lock_type", "exclusive"}}, kDurationBuckets);
  std::array<prometheus::Counter*, 64> per_resource{};
  for (size_t r = 0; r < per_resource.size(); ++r) {
    per_resource[r] =
        &p.resource_seconds.Add({{"resource", lock_resources()[r]}, {"lock_type", "exclusive"}});
  }
  size_t i = 0;
  for (auto _ : state) {
    const double seconds = 20e-6;
    seconds_total.Increment(seconds);
    waits.Increment();
    duration.Observe(seconds);
    per_resource[i++ & 63]->Increment(seconds);  // the engine would have to keep this map
  }
}

// ---- a WebSocket message sent: two counters and a latency histogram ---------

void BM_WebSocketSend_Plugin(benchmark::State& state) {
  nq_host* host = plugin_host();
  nq_ws_message_event e{};
  e.struct_size = sizeof e;
  e.bytes = 512;
  e.latency_ns = 150'000;
  for (auto _ : state) nq_host_ws_send(host, &e);
}

void BM_WebSocketSend_PromCppNaive(benchmark::State& state) {
  PromCpp& p = promcpp();
  for (auto _ : state) {
    p.ws_sent.Add({}).Increment();
    p.ws_bytes.Add({}).Increment(512);
    p.ws_latency.Add({}, kDurationBuckets).Observe(150e-6);
  }
}

void BM_WebSocketSend_PromCppHandles(benchmark::State& state) {
  PromCpp& p = promcpp();
  auto& sent = p.ws_sent.Add({});
  auto& bytes = p.ws_bytes.Add({});
  auto& latency = p.ws_latency.Add({}, kDurationBuckets);
  for (auto _ : state) {
    sent.Increment();
    bytes.Increment(512);
    latency.Observe(150e-6);
  }
}

}  // namespace

NQ_BENCH_THREADS(BM_QueryPair_Plugin);
NQ_BENCH_THREADS(BM_QueryPair_Plugin_WithContext);
BENCHMARK(BM_QueryPair_Plugin_WhileScraped);
BENCHMARK(BM_QueryPair_Plugin_WhileAttacked);
NQ_BENCH_THREADS(BM_QueryPair_PromCppNaive);
NQ_BENCH_THREADS(BM_QueryPair_PromCppHandles);
NQ_BENCH_THREADS(BM_LockWait_Plugin);
NQ_BENCH_THREADS(BM_LockWait_PromCppNaive);
NQ_BENCH_THREADS(BM_LockWait_PromCppHandles);
NQ_BENCH_THREADS(BM_WebSocketSend_Plugin);
NQ_BENCH_THREADS(BM_WebSocketSend_PromCppNaive);
NQ_BENCH_THREADS(BM_WebSocketSend_PromCppHandles);
