#include "catalogue/metric_catalogue.hpp"

#include <array>

#include "catalogue/hook_names.hpp"

namespace nq::metrics {
namespace {

using sv = std::string_view;
using Labels = std::span<const LabelDimension>;
using Buckets = std::span<const double>;
constexpr double kNanosecondsPerSecond = 1e9;

// ---- Fixed label values (orders follow the ABI's constants) ----------------
constexpr std::array<sv, NQ_QUERY_TYPE_COUNT> kQueryTypes = {"select", "insert", "update",
                                                             "delete", "ddl",    "other"};
constexpr std::array<sv, NQ_QUERY_STATUS_COUNT> kQueryStatuses = {"success", "error", "cancelled"};
constexpr std::array<sv, 5> kPhases = {"parse", "plan", "execute", "lock_wait", "io_wait"};
constexpr std::array<sv, NQ_WS_DISCONNECT_REASON_COUNT> kDisconnectReasons = {"client", "server",
                                                                              "error", "timeout"};
constexpr std::array<sv, NQ_WS_DROP_REASON_COUNT> kDropReasons = {"backpressure", "queue_full",
                                                                  "closed"};
constexpr std::array<sv, 2> kDirty = {"false", "true"};
constexpr std::array<sv, 3> kPageStates = {"free", "clean", "dirty"};
constexpr std::array<sv, NQ_LOCK_TYPE_COUNT> kLockTypes = {"shared", "exclusive", "intent_shared",
                                                           "intent_exclusive", "other"};
constexpr std::array<sv, 2> kLookupResults = {"hit", "miss"};
constexpr std::array<sv, 2> kOperationStatuses = {"success", "failure"};
constexpr std::array<sv, 2> kReloadResults = {"success", "failure"};

// The families whose events can fold into "__other__", in catalogue order
// (checked below).
constexpr std::array<sv, 13> kOverflowFamilies = {
    "neuroquantum_query_errors_total",
    "neuroquantum_query_digest_calls_total",
    "neuroquantum_query_digest_duration_seconds_total",
    "neuroquantum_query_digest_rows_examined_total",
    "neuroquantum_connection_errors_total",
    "neuroquantum_websocket_channel_subscribers",
    "neuroquantum_websocket_connection_dropped_messages_total",
    "neuroquantum_lock_resource_wait_seconds_total",
    "neuroquantum_index_scans_total",
    "neuroquantum_index_rows_read_total",
    "neuroquantum_errors_total",
    "neuroquantum_quantum_operations_total",
    "neuroquantum_quantum_operation_duration_seconds",
};

constexpr std::array kByQueryType = {LabelDimension{"query_type", kQueryTypes}};
constexpr std::array kByQueryTypeAndStatus = {LabelDimension{"query_type", kQueryTypes},
                                              LabelDimension{"status", kQueryStatuses}};
constexpr std::array kByPhase = {LabelDimension{"phase", kPhases}};
constexpr std::array kByDisconnectReason = {LabelDimension{"reason", kDisconnectReasons}};
constexpr std::array kByDropReason = {LabelDimension{"reason", kDropReasons}};
constexpr std::array kByDirty = {LabelDimension{"dirty", kDirty}};
constexpr std::array kByPageState = {LabelDimension{"state", kPageStates}};
constexpr std::array kByLockType = {LabelDimension{"lock_type", kLockTypes}};
constexpr std::array kByLookupResult = {LabelDimension{"result", kLookupResults}};
constexpr std::array kByOperationStatus = {LabelDimension{"status", kOperationStatuses}};
constexpr std::array kByReloadResult = {LabelDimension{"result", kReloadResults}};
constexpr std::array kByHook = {LabelDimension{"hook", kHookNames}};
constexpr std::array kByOverflowFamily = {LabelDimension{"family", kOverflowFamilies}};

// ---- Engine-valued labels --------------------------------------------------
constexpr std::array<sv, 1> kErrorType = {"error_type"};
constexpr std::array<sv, 1> kDigest = {"digest"};
constexpr std::array<sv, 1> kReason = {"reason"};
constexpr std::array<sv, 1> kChannel = {"channel"};
constexpr std::array<sv, 1> kConnection = {"connection"};
constexpr std::array<sv, 1> kResource = {"resource"};
constexpr std::array<sv, 2> kTableIndex = {"table", "index"};
constexpr std::array<sv, 2> kSubsystemErrorType = {"subsystem", "error_type"};
constexpr std::array<sv, 1> kOperation = {"operation"};

constexpr std::array kLabelSpaces = {
    LabelSpaceDef{LabelSpaceId::none, {}, {}, 0, false, 0, {}, {}, 0},
    LabelSpaceDef{LabelSpaceId::error_types,
                  kErrorType,
                  "max_query_error_types",
                  64,
                  false,
                  0,
                  {},
                  "error types of failed statements",
                  32},
    LabelSpaceDef{LabelSpaceId::query_digests, kDigest, "max_query_digests", 250, true, 128,
                  "query", "query digests, the heaviest kept", 32},
    LabelSpaceDef{LabelSpaceId::connection_error_reasons,
                  kReason,
                  "max_connection_error_reasons",
                  32,
                  false,
                  0,
                  {},
                  "reasons of refused or failed connections",
                  32},
    LabelSpaceDef{LabelSpaceId::websocket_channels,
                  kChannel,
                  "max_websocket_channels",
                  100,
                  true,
                  0,
                  {},
                  "WebSocket channels, those with most subscribers kept",
                  32},
    LabelSpaceDef{LabelSpaceId::websocket_connections,
                  kConnection,
                  "max_websocket_connections",
                  100,
                  true,
                  0,
                  {},
                  "WebSocket connections, the heaviest droppers kept",
                  32},
    LabelSpaceDef{LabelSpaceId::lock_resources,
                  kResource,
                  "max_lock_resources",
                  100,
                  true,
                  0,
                  {},
                  "locked resources, the longest waits kept",
                  32},
    LabelSpaceDef{LabelSpaceId::indexes,
                  kTableIndex,
                  "max_indexes",
                  1000,
                  false,
                  0,
                  {},
                  "table and index pairs",
                  64},
    LabelSpaceDef{LabelSpaceId::errors,
                  kSubsystemErrorType,
                  "max_error_types",
                  128,
                  false,
                  0,
                  {},
                  "subsystem and error type pairs",
                  32},
    LabelSpaceDef{LabelSpaceId::quantum_operations,
                  kOperation,
                  "max_quantum_operations",
                  32,
                  false,
                  0,
                  {},
                  "quantum search operations",
                  32},
};

// ---- Buckets (seconds) -----------------------------------------------------
constexpr std::array kQueryBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                      0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
constexpr std::array kMessageLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                               0.025,  0.05,    0.1,    0.25,  0.5,    1.0};
constexpr std::array kStreamBuckets = {0.01, 0.05, 0.1,  0.5,   1.0,   5.0,
                                       10.0, 30.0, 60.0, 300.0, 900.0, 3600.0};
constexpr std::array kFsyncBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                      0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1.0};
constexpr std::array kLockWaitBuckets = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05,
                                         0.1,    0.5,    1.0,   5.0,   10.0};
constexpr std::array kQuantumBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0};
constexpr std::array kScrapeBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05,   0.1,   0.25,   0.5,   1.0};

// ---- Builders that keep the table below readable ---------------------------
constexpr FamilyDef counter(FamilyId id, sv name, sv help, Labels labels = {},
                            LabelSpaceId space = LabelSpaceId::none, double unit_divisor = 1) {
  return {id, name, MetricType::counter, Source::events, help, space, labels, {}, unit_divisor};
}
constexpr FamilyDef seconds_counter(FamilyId id, sv name, sv help, Labels labels = {},
                                    LabelSpaceId space = LabelSpaceId::none) {
  return counter(id, name, help, labels, space, kNanosecondsPerSecond);
}
constexpr FamilyDef gauge(FamilyId id, sv name, sv help, Source source = Source::events,
                          Labels labels = {}, LabelSpaceId space = LabelSpaceId::none) {
  return {id, name, MetricType::gauge, source, help, space, labels, {}, 1};
}
constexpr FamilyDef histogram(FamilyId id, sv name, sv help, Buckets buckets, Labels labels = {},
                              LabelSpaceId space = LabelSpaceId::none) {
  return {id,     name,    MetricType::histogram, Source::events, help, space,
          labels, buckets, kNanosecondsPerSecond};
}
constexpr FamilyDef process_metric(FamilyId id, sv name, MetricType type, sv help) {
  return {id, name, type, Source::process, help, LabelSpaceId::none, {}, {}, 1};
}

using F = FamilyId;
using S = LabelSpaceId;

constexpr std::array kCatalogue = {
    // Queries
    counter(F::queries_total, "neuroquantum_queries_total",
            "Statements finished, by query type and outcome.", kByQueryTypeAndStatus),
    histogram(F::query_duration_seconds, "neuroquantum_query_duration_seconds",
              "Statement duration as measured by the engine.", kQueryBuckets, kByQueryType),
    counter(F::slow_queries_total, "neuroquantum_slow_queries_total",
            "Statements slower than the slow-query threshold (setting slow_query_seconds).",
            kByQueryType),
    counter(F::query_errors_total, "neuroquantum_query_errors_total",
            "Failed statements, by error type.", {}, S::error_types),
    seconds_counter(F::query_phase_seconds_total, "neuroquantum_query_phase_seconds_total",
                    "Time statements spent in each execution phase.", kByPhase),
    counter(F::query_rows_examined_total, "neuroquantum_query_rows_examined_total",
            "Rows examined by statements.", kByQueryType),
    counter(F::query_rows_returned_total, "neuroquantum_query_rows_returned_total",
            "Rows returned by statements.", kByQueryType),
    gauge(F::active_queries, "neuroquantum_active_queries", "Statements executing now."),
    gauge(F::query_queue_length, "neuroquantum_query_queue_length",
          "Statements waiting in the admission queue now."),
    counter(F::query_digest_calls_total, "neuroquantum_query_digest_calls_total",
            "Statements finished, by normalized statement digest (the heaviest digests).", {},
            S::query_digests),
    seconds_counter(F::query_digest_duration_seconds_total,
                    "neuroquantum_query_digest_duration_seconds_total",
                    "Time spent in statements, by digest.", {}, S::query_digests),
    counter(F::query_digest_rows_examined_total, "neuroquantum_query_digest_rows_examined_total",
            "Rows examined, by digest.", {}, S::query_digests),
    gauge(F::query_digest_info, "neuroquantum_query_digest_info",
          "Normalized statement text of each digest (literals replaced); always 1.",
          Source::label_info, {}, S::query_digests),
    // Connections
    gauge(F::connections_active, "neuroquantum_connections_active", "Client connections open now."),
    gauge(F::connections_max, "neuroquantum_connections_max",
          "Most client connections the engine accepts.", Source::samples),
    counter(F::connections_total, "neuroquantum_connections_total", "Client connections accepted."),
    counter(F::connection_errors_total, "neuroquantum_connection_errors_total",
            "Client connections refused or failed, by reason.", {}, S::connection_error_reasons),
    // WebSocket
    gauge(F::websocket_connections_active, "neuroquantum_websocket_connections_active",
          "WebSocket connections open now."),
    counter(F::websocket_connections_total, "neuroquantum_websocket_connections_total",
            "WebSocket connections accepted."),
    counter(F::websocket_disconnects_total, "neuroquantum_websocket_disconnects_total",
            "WebSocket disconnections, by reason.", kByDisconnectReason),
    counter(F::websocket_messages_sent_total, "neuroquantum_websocket_messages_sent_total",
            "WebSocket messages sent."),
    counter(F::websocket_messages_received_total, "neuroquantum_websocket_messages_received_total",
            "WebSocket messages received."),
    counter(F::websocket_messages_sent_bytes_total,
            "neuroquantum_websocket_messages_sent_bytes_total",
            "Bytes of WebSocket messages sent."),
    counter(F::websocket_messages_received_bytes_total,
            "neuroquantum_websocket_messages_received_bytes_total",
            "Bytes of WebSocket messages received."),
    counter(F::websocket_messages_dropped_total, "neuroquantum_websocket_messages_dropped_total",
            "WebSocket messages dropped, by reason.", kByDropReason),
    histogram(F::websocket_message_latency_seconds,
              "neuroquantum_websocket_message_latency_seconds",
              "Time from enqueueing a WebSocket message to sending it.", kMessageLatencyBuckets),
    gauge(F::websocket_channels, "neuroquantum_websocket_channels",
          "WebSocket channels that exist now.", Source::samples),
    gauge(F::websocket_channel_subscribers, "neuroquantum_websocket_channel_subscribers",
          "Subscribers of each WebSocket channel (the most subscribed channels).", Source::events,
          {}, S::websocket_channels),
    counter(F::websocket_connection_dropped_messages_total,
            "neuroquantum_websocket_connection_dropped_messages_total",
            "WebSocket messages dropped, by connection (the heaviest droppers).", {},
            S::websocket_connections),
    gauge(F::websocket_active_streams, "neuroquantum_websocket_active_streams",
          "WebSocket result streams running now."),
    counter(F::websocket_stream_rows_total, "neuroquantum_websocket_stream_rows_total",
            "Rows sent by WebSocket result streams."),
    histogram(F::websocket_stream_duration_seconds,
              "neuroquantum_websocket_stream_duration_seconds",
              "Lifetime of WebSocket result streams.", kStreamBuckets),
    gauge(F::websocket_backpressure_paused_connections,
          "neuroquantum_websocket_backpressure_paused_connections",
          "WebSocket connections paused by backpressure now."),
    // Storage
    counter(F::buffer_pool_hits_total, "neuroquantum_buffer_pool_hits_total",
            "Page requests served from the buffer pool."),
    counter(F::buffer_pool_misses_total, "neuroquantum_buffer_pool_misses_total",
            "Page requests that had to read the page from disk."),
    counter(F::buffer_pool_evictions_total, "neuroquantum_buffer_pool_evictions_total",
            "Pages evicted from the buffer pool, by whether they had to be written back.",
            kByDirty),
    gauge(F::buffer_pool_pages, "neuroquantum_buffer_pool_pages",
          "Pages in the buffer pool, by state.", Source::samples, kByPageState),
    counter(F::disk_read_bytes_total, "neuroquantum_disk_read_bytes_total",
            "Bytes read from disk by the storage layer."),
    counter(F::disk_write_bytes_total, "neuroquantum_disk_write_bytes_total",
            "Bytes written to disk by the storage layer."),
    counter(F::disk_read_ops_total, "neuroquantum_disk_read_ops_total",
            "Disk reads by the storage layer."),
    counter(F::disk_write_ops_total, "neuroquantum_disk_write_ops_total",
            "Disk writes by the storage layer."),
    counter(F::wal_written_bytes_total, "neuroquantum_wal_written_bytes_total",
            "Bytes appended to the write-ahead log."),
    counter(F::wal_segments_total, "neuroquantum_wal_segments_total",
            "Write-ahead log segments started."),
    histogram(F::wal_fsync_duration_seconds, "neuroquantum_wal_fsync_duration_seconds",
              "Duration of write-ahead log fsyncs.", kFsyncBuckets),
    gauge(F::storage_free_bytes, "neuroquantum_storage_free_bytes",
          "Free bytes on the data directory's file system.", Source::samples),
    gauge(F::storage_size_bytes, "neuroquantum_storage_size_bytes",
          "Size in bytes of the data directory's file system.", Source::samples),
    // Locks and indexes
    seconds_counter(F::lock_wait_seconds_total, "neuroquantum_lock_wait_seconds_total",
                    "Time spent waiting for locks, by lock type.", kByLockType),
    counter(F::lock_waits_total, "neuroquantum_lock_waits_total",
            "Lock waits that ended, by lock type.", kByLockType),
    histogram(F::lock_wait_duration_seconds, "neuroquantum_lock_wait_duration_seconds",
              "Duration of lock waits, by lock type.", kLockWaitBuckets, kByLockType),
    seconds_counter(F::lock_resource_wait_seconds_total,
                    "neuroquantum_lock_resource_wait_seconds_total",
                    "Time spent waiting for locks, by resource (the hottest resources).",
                    kByLockType, S::lock_resources),
    counter(F::deadlocks_total, "neuroquantum_deadlocks_total", "Deadlocks broken."),
    counter(F::index_scans_total, "neuroquantum_index_scans_total",
            "Index lookups and scans, by table and index (announced indexes start at 0).", {},
            S::indexes),
    counter(F::index_rows_read_total, "neuroquantum_index_rows_read_total",
            "Rows read through indexes, by table and index.", {}, S::indexes),
    counter(F::index_lookups_total, "neuroquantum_index_lookups_total",
            "Index lookups, by whether they found an entry.", kByLookupResult),
    // Memory, errors, quantum search
    gauge(F::memory_usage_bytes, "neuroquantum_memory_usage_bytes",
          "Memory the engine uses, in bytes.", Source::samples),
    gauge(F::memory_limit_bytes, "neuroquantum_memory_limit_bytes",
          "Memory the engine may use, in bytes.", Source::samples),
    counter(F::errors_total, "neuroquantum_errors_total",
            "Errors raised in engine subsystems, by subsystem and error type.", {}, S::errors),
    counter(F::quantum_operations_total, "neuroquantum_quantum_operations_total",
            "Quantum search operations, by operation and outcome.", kByOperationStatus,
            S::quantum_operations),
    histogram(F::quantum_operation_duration_seconds,
              "neuroquantum_quantum_operation_duration_seconds",
              "Duration of quantum search operations.", kQuantumBuckets, {}, S::quantum_operations),
    // The plugin itself
    gauge(F::build_info, "neuroquantum_build_info",
          "Build of the metrics plugin: version, plugin ABI version and build id; always 1.",
          Source::identity),
    gauge(F::plugin_start_time_seconds, "neuroquantum_plugin_start_time_seconds",
          "Unix time at which this copy of the metrics plugin started.", Source::identity),
    counter(F::plugin_reloads_total, "neuroquantum_plugin_reloads_total",
            "Hot reloads of the metrics plugin, by result.", kByReloadResult),
    counter(F::plugin_events_total, "neuroquantum_plugin_events_total",
            "Hook calls received from the engine, by hook.", kByHook),
    counter(F::plugin_malformed_events_total, "neuroquantum_plugin_malformed_events_total",
            "Hook calls whose event could not be read (NULL, or smaller than the event's "
            "struct), by hook; counted in plugin_events_total too, recorded nowhere else.",
            kByHook),
    counter(F::plugin_label_overflow_total, "neuroquantum_plugin_label_overflow_total",
            "Events whose engine-valued labels were folded into the __other__ series, by family.",
            kByOverflowFamily),
    histogram(F::plugin_scrape_duration_seconds, "neuroquantum_plugin_scrape_duration_seconds",
              "Time to collect and serialize the metrics for one scrape.", kScrapeBuckets),
    gauge(F::plugin_series, "neuroquantum_plugin_series", "Series in the last scrape.",
          Source::scrape),
    counter(F::plugin_http_auth_failures_total, "neuroquantum_plugin_http_auth_failures_total",
            "Requests to the metrics listener refused for missing or wrong basic auth "
            "credentials."),
    // The host process
    process_metric(F::process_cpu_seconds_total, "process_cpu_seconds_total", MetricType::counter,
                   "Total user and system CPU time spent in seconds."),
    process_metric(F::process_resident_memory_bytes, "process_resident_memory_bytes",
                   MetricType::gauge, "Resident memory size in bytes."),
    process_metric(F::process_virtual_memory_bytes, "process_virtual_memory_bytes",
                   MetricType::gauge, "Virtual memory size in bytes."),
    process_metric(F::process_open_fds, "process_open_fds", MetricType::gauge,
                   "Number of open file descriptors."),
    process_metric(F::process_max_fds, "process_max_fds", MetricType::gauge,
                   "Maximum number of open file descriptors."),
    process_metric(F::process_start_time_seconds, "process_start_time_seconds", MetricType::gauge,
                   "Start time of the process since unix epoch in seconds."),
};

constexpr bool folds_events(const FamilyDef& def) {
  return def.space != LabelSpaceId::none && def.source == Source::events;
}

// The table is indexed by FamilyId, and kOverflowFamilies lists exactly the
// families with engine-valued labels, in order.
constexpr bool catalogue_is_consistent() {
  size_t bounded = 0;
  for (size_t i = 0; i < kCatalogue.size(); ++i) {
    if (static_cast<size_t>(kCatalogue[i].id) != i) return false;
    if (folds_events(kCatalogue[i])) {
      if (bounded == kOverflowFamilies.size() ||
          kOverflowFamilies[bounded++] != kCatalogue[i].name) {
        return false;
      }
    }
  }
  return bounded == kOverflowFamilies.size();
}
static_assert(catalogue_is_consistent(), "kCatalogue order or kOverflowFamilies is off");

constexpr bool spaces_are_indexed() {
  for (size_t i = 0; i < kLabelSpaces.size(); ++i) {
    if (static_cast<size_t>(kLabelSpaces[i].id) != i) return false;
  }
  return true;
}
static_assert(spaces_are_indexed(), "kLabelSpaces must follow LabelSpaceId order");

}  // namespace

std::span<const FamilyDef> catalogue() noexcept {
  return kCatalogue;
}

const FamilyDef& family(FamilyId id) noexcept {
  return kCatalogue[static_cast<size_t>(id)];
}

std::span<const LabelSpaceDef> label_spaces() noexcept {
  return kLabelSpaces;
}

const LabelSpaceDef& label_space(LabelSpaceId id) noexcept {
  return kLabelSpaces[static_cast<size_t>(id)];
}

uint32_t fixed_series_count(const FamilyDef& def) noexcept {
  uint32_t n = 1;
  for (const LabelDimension& dim : def.labels) n *= static_cast<uint32_t>(dim.values.size());
  return n;
}

uint32_t overflow_family_index(FamilyId id) noexcept {
  uint32_t index = 0;
  for (const FamilyDef& def : kCatalogue) {
    if (def.id == id) return index;
    if (folds_events(def)) ++index;
  }
  return index;
}

}  // namespace nq::metrics
