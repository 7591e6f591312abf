/*
 * The instruction-count driver of the CI guard (instruction_counts.sh): a
 * plain C99 engine that loads the real plugin through the host runtime, warms
 * every scenario up (first thread slot taken, first-seen label values
 * inserted, exemplar cells dated), then runs each scenario `iterations` times
 * with callgrind collecting only inside it, and dumps the counts of each under
 * the scenario's name (CALLGRIND_DUMP_STATS_AT). Outside callgrind the client
 * requests do nothing and the driver just runs.
 *
 * Nothing in a measured loop depends on time: the engine's clock is a counter
 * of the driver's own, the durations follow the iteration number, nothing is
 * scraped, and the plugin's listener threads wait for connections that never
 * come. Single-threaded. Usage: instruction_driver PLUGIN.so [ITERATIONS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "nq/nq_host.h"

#include "listen_anywhere_config.h"

enum {
  kLockResources = 64,
  kReasons = 16,
  kSubsystems = 8,
  kErrorTypes = 8,
  kChannels = 64,
  kTables = 16,
  kIndexesPerTable = 4,
  kWarmUpIterations = 1000
};

/* Engine-valued label values, as nq-bench's labelled hooks send them. */
static char lock_resources[kLockResources][32];
static char reasons[kReasons][32];
static const char* const kSubsystemNames[kSubsystems] = {
    "storage", "wal", "network", "query", "websocket", "quantum", "replication", "planner"};
static char error_types[kErrorTypes][32];
static char channels[kChannels][32];
static char tables[kTables][32];
static char indexes[kIndexesPerTable][32];

/* The engine's clock: advanced by the traced statements, never read from the system. */
static uint64_t engine_time_ns;

static nq_str str(const char* s) {
  nq_str result;
  result.data = s;
  result.len = strlen(s);
  return result;
}

static void engine_log(void* ctx, nq_log_level level, nq_str message) {
  (void)ctx;
  if (level >= NQ_LOG_WARN) fprintf(stderr, "plugin log: %.*s\n", (int)message.len, message.data);
}

static uint64_t engine_clock(void* ctx) {
  (void)ctx;
  return engine_time_ns;
}

/* A select that begins and ends, with or without the statement context (database, user,
 * application and a trace id, as a traced statement of an engine of ABI 1.2 sends). */
static void query_pairs(nq_host* host, unsigned long iterations, int with_context) {
  nq_query_begin_event begin;
  nq_query_end_event end;
  unsigned long i;
  uint8_t b;
  memset(&begin, 0, sizeof begin);
  memset(&end, 0, sizeof end);
  begin.struct_size = (uint32_t)sizeof begin;
  end.struct_size = (uint32_t)sizeof end;
  begin.query_type = end.query_type = NQ_QUERY_SELECT;
  end.status = NQ_QUERY_SUCCESS;
  if (with_context) {
    begin.database = end.database = str("shop");
    begin.user = end.user = str("web");
    begin.application = end.application = str("storefront");
    for (b = 0; b < 16; ++b) begin.trace_id[b] = end.trace_id[b] = (uint8_t)(b + 1);
    for (b = 0; b < 8; ++b) begin.span_id[b] = end.span_id[b] = (uint8_t)(b + 1);
  }
  for (i = 0; i < iterations; ++i) {
    nq_host_query_begin(host, &begin);
    end.duration_ns = (uint64_t)(i & 0xFFFFF) * 1000;
    if (with_context) end.timestamp_ns = engine_time_ns += 50;
    nq_host_query_end(host, &end);
  }
}

/* Each scenario is a function of its own, never inlined, so that it stands alone in a
 * callgrind profile of the driver. */
__attribute__((noinline)) static void query_pair(nq_host* host, unsigned long iterations) {
  query_pairs(host, iterations, 0);
}

__attribute__((noinline)) static void query_pair_with_context(nq_host* host,
                                                              unsigned long iterations) {
  query_pairs(host, iterations, 1);
}

/* An exclusive lock acquired after a wait on one of 64 resources, round robin. */
__attribute__((noinline)) static void lock_wait(nq_host* host, unsigned long iterations) {
  nq_lock_wait_event e;
  unsigned long i;
  memset(&e, 0, sizeof e);
  e.struct_size = (uint32_t)sizeof e;
  e.lock_type = NQ_LOCK_EXCLUSIVE;
  e.acquired = 1;
  for (i = 0; i < iterations; ++i) {
    e.resource = str(lock_resources[i % kLockResources]);
    e.wait_ns = 20000 + (i & 1023);
    nq_host_lock_wait_end(host, &e);
  }
}

/* A 512-byte WebSocket message sent. */
__attribute__((noinline)) static void websocket_send(nq_host* host, unsigned long iterations) {
  nq_ws_message_event e;
  unsigned long i;
  memset(&e, 0, sizeof e);
  e.struct_size = (uint32_t)sizeof e;
  e.bytes = 512;
  e.latency_ns = 150000;
  for (i = 0; i < iterations; ++i) nq_host_ws_send(host, &e);
}

/* A connection refused for one of 16 reasons, round robin. */
__attribute__((noinline)) static void connection_error(nq_host* host, unsigned long iterations) {
  nq_connection_error_event e;
  unsigned long i;
  memset(&e, 0, sizeof e);
  e.struct_size = (uint32_t)sizeof e;
  for (i = 0; i < iterations; ++i) {
    e.reason = str(reasons[i % kReasons]);
    nq_host_connection_error(host, &e);
  }
}

/* An error of one of 8 x 8 (subsystem, error type) pairs, round robin. */
__attribute__((noinline)) static void subsystem_error(nq_host* host, unsigned long iterations) {
  nq_error_event e;
  unsigned long i;
  memset(&e, 0, sizeof e);
  e.struct_size = (uint32_t)sizeof e;
  for (i = 0; i < iterations; ++i) {
    e.subsystem = str(kSubsystemNames[i % kSubsystems]);
    e.error_type = str(error_types[(i / kSubsystems) % kErrorTypes]);
    nq_host_error(host, &e);
  }
}

/* A scan of one of 16 x 4 (table, index) pairs, round robin. */
__attribute__((noinline)) static void index_scan(nq_host* host, unsigned long iterations) {
  nq_index_scan_event e;
  unsigned long i;
  memset(&e, 0, sizeof e);
  e.struct_size = (uint32_t)sizeof e;
  e.hit = 1;
  e.rows_read = 12;
  for (i = 0; i < iterations; ++i) {
    e.table = str(tables[(i / kIndexesPerTable) % kTables]);
    e.index = str(indexes[i % kIndexesPerTable]);
    nq_host_index_scan(host, &e);
  }
}

/* A subscription to one of 64 WebSocket channels and its end (an iteration is both). */
__attribute__((noinline)) static void websocket_subscription(nq_host* host,
                                                             unsigned long iterations) {
  nq_ws_channel_event e;
  unsigned long i;
  memset(&e, 0, sizeof e);
  e.struct_size = (uint32_t)sizeof e;
  for (i = 0; i < iterations; ++i) {
    e.channel = str(channels[i % kChannels]);
    e.subscribers = 1;
    nq_host_ws_subscribe(host, &e);
    e.subscribers = 0;
    nq_host_ws_unsubscribe(host, &e);
  }
}

typedef struct scenario {
  const char* name;
  void (*run)(nq_host* host, unsigned long iterations);
} scenario;

static const scenario kScenarios[] = {
    {"query_pair", query_pair},
    {"query_pair_with_context", query_pair_with_context},
    {"lock_wait", lock_wait},
    {"websocket_send", websocket_send},
    {"connection_error", connection_error},
    {"subsystem_error", subsystem_error},
    {"index_scan", index_scan},
    {"websocket_subscription", websocket_subscription},
};
enum { kScenarioCount = sizeof kScenarios / sizeof kScenarios[0] };

int main(int argc, char** argv) {
  nq_engine_services services;
  nq_host_options options;
  nq_host* host;
  unsigned long iterations = 100000;
  char err[512];
  int s;

  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: instruction_driver PLUGIN.so [ITERATIONS]\n");
    return 2;
  }
  if (argc == 3) iterations = strtoul(argv[2], NULL, 10);
  for (s = 0; s < kLockResources; ++s) sprintf(lock_resources[s], "table:orders_%d", s);
  for (s = 0; s < kReasons; ++s) sprintf(reasons[s], "auth_failed_%d", s);
  for (s = 0; s < kErrorTypes; ++s) sprintf(error_types[s], "io_error_%d", s);
  for (s = 0; s < kChannels; ++s) sprintf(channels[s], "orders.region_%d", s);
  for (s = 0; s < kTables; ++s) sprintf(tables[s], "orders_%d", s);
  for (s = 0; s < kIndexesPerTable; ++s) sprintf(indexes[s], "idx_customer_%d", s);

  memset(&services, 0, sizeof services);
  services.struct_size = (uint32_t)sizeof services;
  services.abi_version = NQ_ABI_VERSION;
  services.log = engine_log;
  services.monotonic_ns = engine_clock;
  services.config_lookup = listen_anywhere_config;
  memset(&options, 0, sizeof options);
  options.struct_size = (uint32_t)sizeof options;
  options.services = &services;
  host = nq_host_create(&options);
  if (host == NULL || nq_host_load(host, argv[1], err, sizeof err) != NQ_OK) {
    fprintf(stderr, "instruction driver: cannot load %s: %s\n", argv[1], host ? err : "no host");
    return 1;
  }

  for (s = 0; s < kScenarioCount; ++s) kScenarios[s].run(host, kWarmUpIterations);
  for (s = 0; s < kScenarioCount; ++s) {
    CALLGRIND_TOGGLE_COLLECT;
    kScenarios[s].run(host, iterations);
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(kScenarios[s].name);
  }
  printf("instruction driver: %d scenarios of %lu iterations\n", kScenarioCount, iterations);

  nq_host_destroy(host);
  return 0;
}
