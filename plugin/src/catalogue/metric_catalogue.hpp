// The one place where the plugin's metric families are declared: name, type,
// help, labels, where engine-valued labels come from, histogram buckets and the
// unit divisor. Registration, exposition, the settings of each cardinality bound
// and the README's reference table are all generated from it.
//
// Thread-safety: constants only.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace nq::metrics {

enum class MetricType : uint8_t { counter, gauge, histogram };

// Where a family's values come from.
enum class Source : uint8_t {
  events,      // recorded from hook events (counters, histograms, up/down gauges)
  samples,     // the last value the engine sampled (gauge_sample hook)
  identity,    // the plugin itself: build info, start time
  process,     // the host process, read at scrape time (/proc)
  scrape,      // computed by the scrape (series count)
  label_info,  // 1 for each live value of its label space, with the value's payload
};

// A label whose values form a fixed set known at build time.
struct LabelDimension {
  std::string_view name;
  std::span<const std::string_view> values;
};

// Labels whose values come from the engine: bounded, overflow to "__other__".
enum class LabelSpaceId : uint8_t {
  none,
  error_types,
  query_digests,
  connection_error_reasons,
  websocket_channels,
  websocket_connections,
  lock_resources,
  indexes,
  errors,
  quantum_operations,
};

struct LabelSpaceDef {
  LabelSpaceId id;
  std::span<const std::string_view> labels;  // one or two labels
  std::string_view setting;                  // plugin setting of the bound
  uint32_t default_bound;
  bool keep_heaviest;              // top-K: cold values make room for heavier newcomers
  uint32_t payload_bytes;          // text kept with each value (digest: normalized query)
  std::string_view payload_label;  // the label that exposes it
  std::string_view help;           // for the settings reference
  // Room for a value's key in its slot; longer keys take a shared block (see
  // label_table.hpp). Sized to the values the space usually sees.
  uint32_t inline_key_bytes;
};

enum class FamilyId : uint32_t {
  queries_total,
  query_duration_seconds,
  slow_queries_total,
  query_errors_total,
  query_phase_seconds_total,
  query_rows_examined_total,
  query_rows_returned_total,
  active_queries,
  query_queue_length,
  query_digest_calls_total,
  query_digest_duration_seconds_total,
  query_digest_rows_examined_total,
  query_digest_info,
  connections_active,
  connections_max,
  connections_total,
  connection_errors_total,
  websocket_connections_active,
  websocket_connections_total,
  websocket_disconnects_total,
  websocket_messages_sent_total,
  websocket_messages_received_total,
  websocket_messages_sent_bytes_total,
  websocket_messages_received_bytes_total,
  websocket_messages_dropped_total,
  websocket_message_latency_seconds,
  websocket_channels,
  websocket_channel_subscribers,
  websocket_connection_dropped_messages_total,
  websocket_active_streams,
  websocket_stream_rows_total,
  websocket_stream_duration_seconds,
  websocket_backpressure_paused_connections,
  buffer_pool_hits_total,
  buffer_pool_misses_total,
  buffer_pool_evictions_total,
  buffer_pool_pages,
  disk_read_bytes_total,
  disk_write_bytes_total,
  disk_read_ops_total,
  disk_write_ops_total,
  wal_written_bytes_total,
  wal_segments_total,
  wal_fsync_duration_seconds,
  storage_free_bytes,
  storage_size_bytes,
  lock_wait_seconds_total,
  lock_waits_total,
  lock_wait_duration_seconds,
  lock_resource_wait_seconds_total,
  deadlocks_total,
  index_scans_total,
  index_rows_read_total,
  index_lookups_total,
  memory_usage_bytes,
  memory_limit_bytes,
  errors_total,
  quantum_operations_total,
  quantum_operation_duration_seconds,
  build_info,
  plugin_start_time_seconds,
  plugin_reloads_total,
  plugin_events_total,
  plugin_malformed_events_total,
  plugin_label_overflow_total,
  plugin_scrape_duration_seconds,
  plugin_series,
  plugin_http_auth_failures_total,
  process_cpu_seconds_total,
  process_resident_memory_bytes,
  process_virtual_memory_bytes,
  process_open_fds,
  process_max_fds,
  process_start_time_seconds,
};

struct FamilyDef {
  FamilyId id;
  std::string_view name;
  MetricType type;
  Source source;
  std::string_view help;
  LabelSpaceId space;                      // engine-valued labels, exposed first
  std::span<const LabelDimension> labels;  // fixed labels, exposed after them
  std::span<const double> buckets;         // histograms: default upper bounds
  double unit_divisor;                     // exposed value = recorded integer / unit_divisor
};

std::span<const FamilyDef> catalogue() noexcept;
const FamilyDef& family(FamilyId id) noexcept;
std::span<const LabelSpaceDef> label_spaces() noexcept;
const LabelSpaceDef& label_space(LabelSpaceId id) noexcept;

// Series of a family's fixed labels: the product of their value counts.
uint32_t fixed_series_count(const FamilyDef& def) noexcept;

// Index of `id` among the families that have engine-valued labels (the
// `family` label of neuroquantum_plugin_label_overflow_total).
uint32_t overflow_family_index(FamilyId id) noexcept;

inline constexpr std::string_view kOverflowLabelValue = "__other__";

}  // namespace nq::metrics
