#include "record/event_recorder.hpp"

#include <array>
#include <charconv>
#include <cstring>

namespace nq::metrics {
namespace {

using F = FamilyId;
using S = LabelSpaceId;

uint32_t query_type_index(nq_query_type type) noexcept {
  return type < NQ_QUERY_TYPE_COUNT ? type : NQ_QUERY_OTHER;
}
uint32_t query_status_index(nq_query_status status) noexcept {
  return status < NQ_QUERY_STATUS_COUNT ? status : NQ_QUERY_ERROR;
}
uint32_t lock_type_index(nq_lock_type type) noexcept {
  return type < NQ_LOCK_TYPE_COUNT ? type : NQ_LOCK_OTHER;
}
bool has_text(nq_str s) noexcept {
  return s.data != nullptr && s.len != 0;
}

// Series of the `phase` label, in the catalogue's order.
constexpr uint32_t series_of(QueryPhase phase) {
  return static_cast<uint32_t>(phase);
}

}  // namespace

size_t EventRecorder::make_key(std::initializer_list<nq_str> parts, char* key) const noexcept {
  size_t len = 0;
  for (const nq_str part : parts) {
    if (len != 0) key[len++] = '\0';  // part separator; label values hold no NUL
    len += sanitize_label_value(part, key + len, options_.label_value_max_bytes);
  }
  return len;
}

EventRecorder::EventRecorder(MetricStore& store, RecorderOptions options)
    : store_(store),
      options_(options),
      statement_cells_(resolve_statement_cells(store)),
      cached_slots_(store.exclusive_slots()),
      context_cache_(std::make_unique<ContextCache[]>(cached_slots_)),
      context_tables_{&store.labels(S::databases), &store.labels(S::users),
                      &store.labels(S::applications)} {}

EventRecorder::StatementCells EventRecorder::resolve_statement_cells(
    const MetricStore& store) noexcept {
  StatementCells cells;
  cells.active = store.series_cell(F::active_queries, 0);
  for (uint32_t phase = 0; phase < kQueryPhaseCount; ++phase) {
    cells.phases[phase] = store.series_cell(F::query_phase_seconds_total, phase);
  }
  for (uint32_t type = 0; type < NQ_QUERY_TYPE_COUNT; ++type) {
    StatementCells::OfType& of = cells.of_type[type];
    for (uint32_t status = 0; status < NQ_QUERY_STATUS_COUNT; ++status) {
      of.queries[status] =
          store.series_cell(F::queries_total, type * NQ_QUERY_STATUS_COUNT + status);
    }
    of.duration = store.series_cell(F::query_duration_seconds, type);
    of.slow = store.series_cell(F::slow_queries_total, type);
    of.rows_examined = store.series_cell(F::query_rows_examined_total, type);
    of.rows_returned = store.series_cell(F::query_rows_returned_total, type);
  }
  for (uint32_t status = 0; status < NQ_QUERY_STATUS_COUNT; ++status) {
    cells.database_queries[status] = store.labelled_cells(F::database_queries_total, status);
    cells.user_queries[status] = store.labelled_cells(F::user_queries_total, status);
  }
  cells.database_duration = store.labelled_cells(F::database_query_duration_seconds, 0);
  cells.user_time = store.labelled_cells(F::user_query_duration_seconds_total, 0);
  cells.application_queries = store.labelled_cells(F::application_queries_total, 0);
  cells.application_time = store.labelled_cells(F::application_query_duration_seconds_total, 0);
  cells.database_buckets_as_statement =
      store.same_buckets(F::query_duration_seconds, F::database_query_duration_seconds);
  return cells;
}

size_t EventRecorder::context_value(nq_str value, char* out) const noexcept {
  return has_text(value) ? sanitize_label_value(value, out, options_.label_value_max_bytes) : 0;
}

size_t EventRecorder::digest_key(nq_str database, nq_str digest, char* key) const noexcept {
  size_t len = context_value(database, key);
  key[len++] = '\0';  // part separator
  return len + sanitize_label_value(digest, key + len, options_.label_value_max_bytes);
}

uint32_t EventRecorder::label_slot(nq_thread_slot slot, FamilyId id,
                                   std::initializer_list<nq_str> parts, bool insert) noexcept {
  char key[LabelTable::kMaxKeyBytes];
  const std::string_view k(key, make_key(parts, key));
  LabelTable& table = store_.labels(space_of(id));
  const uint32_t label = insert ? table.find_or_insert(k) : table.find(k);
  if (label == table.overflow_slot()) store_.count_overflow(slot, id);
  return label;
}

MetricStore::LabelRef EventRecorder::event_slot(nq_thread_slot slot, FamilyId id,
                                                std::initializer_list<nq_str> parts,
                                                bool insert) noexcept {
  char raw[kRawKeyBufferBytes];
  return store_.label_ref(slot, space_of(id), raw_key(parts, raw),
                          [&] { return label_slot(slot, id, parts, insert); });
}

MetricStore::LabelRef EventRecorder::digest_ref(nq_thread_slot slot, nq_str database, nq_str digest,
                                                char* key, size_t& key_len) noexcept {
  char raw[kRawKeyBufferBytes];
  return store_.label_ref(slot, S::query_digests, raw_pair(database, digest, raw), [&] {
    key_len = digest_key(database, digest, key);
    return store_.labels(S::query_digests).find({key, key_len});
  });
}

uint32_t EventRecorder::context_slot(nq_thread_slot slot, FamilyId count_id, FamilyId time_id,
                                     nq_str value) noexcept {
  const LabelSpaceId space = space_of(count_id);
  LabelTable& table = store_.labels(space);
  const size_t raw_len = has_text(value) ? value.len : 0;
  ContextEntry* entry = nullptr;
  uint64_t frees = 0;
  if (slot < cached_slots_ && raw_len <= kContextCacheBytes) {
    const auto context = space == S::databases ? Context::database
                         : space == S::users   ? Context::user
                                               : Context::application;
    entry = &context_cache_[slot].entries[static_cast<size_t>(context)];
    frees = table.frees();
    if (entry->len == raw_len && entry->frees == frees &&
        (raw_len == 0 || std::memcmp(entry->raw, value.data, raw_len) == 0)) {
      return entry->label;
    }
  }
  char key[kMaxLabelValueBytes];
  const uint32_t label = table.find_or_insert({key, context_value(value, key)});
  if (label == table.overflow_slot()) {
    store_.count_overflow(slot, count_id);
    store_.count_overflow(slot, time_id);
  } else if (entry != nullptr) {
    if (raw_len != 0) std::memcpy(entry->raw, value.data, raw_len);
    entry->len = static_cast<uint32_t>(raw_len);
    entry->label = label;
    entry->frees = frees;
  }
  return label;
}

EventRecorder::StatementLabels EventRecorder::resolve_statement_labels(
    nq_thread_slot slot, const nq_query_end_event& e) noexcept {
  return {
      context_slot(slot, F::database_queries_total, F::database_query_duration_seconds, e.database),
      context_slot(slot, F::user_queries_total, F::user_query_duration_seconds_total, e.user),
      context_slot(slot, F::application_queries_total, F::application_query_duration_seconds_total,
                   e.application)};
}

// ---- Queries ---------------------------------------------------------------

void EventRecorder::on_query_begin(nq_thread_slot slot, const nq_query_begin_event& e) noexcept {
  store_.add(store_.fixed_row(slot), statement_cells_.active, +1);
  if (has_text(e.digest)) register_digest(slot, e);
}

void EventRecorder::register_digest(nq_thread_slot slot, const nq_query_begin_event& e) noexcept {
  char key[LabelTable::kMaxKeyBytes];
  size_t key_len = 0;
  LabelTable& digests = store_.labels(S::query_digests);
  // Not found: the cache did not hold it, so its key is in `key`.
  if (digest_ref(slot, e.database, e.digest, key, key_len).slot != digests.overflow_slot()) return;
  char text[kMaxLabelValueBytes], stripped[kMaxLabelValueBytes];
  const size_t len = sanitize_label_value(e.normalized_text, text, options_.label_value_max_bytes);
  digests.find_or_insert({key, key_len}, {stripped, strip_literals({text, len}, stripped)});
}

void EventRecorder::on_query_end(nq_thread_slot slot, const nq_query_end_event& e) noexcept {
  const uint32_t type = query_type_index(e.query_type);
  const uint32_t status = query_status_index(e.status);
  // Who ran it. A statement without a database, user or application (an
  // engine of ABI 1.1) counts under the empty value, so that each breakdown
  // sums to the totals.
  const StatementLabels who = statement_labels(slot, e);
  const StatementCells& cells = statement_cells_;
  const StatementCells::OfType& of_type = cells.of_type[type];
  uint32_t bucket = 0;
  store_.with_rows(slot, [&](auto row, auto context) {
    store_.add(row, cells.active, -1);
    store_.count(row, of_type.queries[status]);
    bucket = store_.observe(row, F::query_duration_seconds, of_type.duration, e.duration_ns);
    if (e.duration_ns >= options_.slow_query_ns) store_.count(row, of_type.slow);
    const auto phase = [&](QueryPhase p) { return cells.phases[series_of(p)]; };
    store_.count(row, phase(QueryPhase::parse), e.parse_ns);
    store_.count(row, phase(QueryPhase::plan), e.plan_ns);
    store_.count(row, phase(QueryPhase::execute), e.execute_ns);
    store_.count(row, phase(QueryPhase::lock_wait), e.lock_wait_ns);
    store_.count(row, phase(QueryPhase::io_wait), e.io_wait_ns);
    store_.count(row, of_type.rows_examined, e.rows_examined);
    store_.count(row, of_type.rows_returned, e.rows_returned);
    store_.count(context, cells.database_queries[status], who.database, 1);
    if (cells.database_buckets_as_statement) {
      store_.observe_in_bucket(context, F::database_query_duration_seconds, cells.database_duration,
                               who.database, bucket, e.duration_ns);
    } else {
      store_.observe(context, F::database_query_duration_seconds, cells.database_duration,
                     who.database, e.duration_ns);
    }
    store_.count(context, cells.user_queries[status], who.user, 1);
    store_.count(context, cells.user_time, who.user, e.duration_ns);
    store_.count(context, cells.application_queries, who.application, 1);
    store_.count(context, cells.application_time, who.application, e.duration_ns);
  });
  // A traced statement becomes the exemplar of its bucket and of its digest.
  const bool traced = is_traced(e.trace_id);
  const TraceContext trace{e.trace_id, e.span_id, e.timestamp_ns};
  if (traced) store_.record_exemplar(F::query_duration_seconds, type, bucket, trace, e.duration_ns);
  if (status == NQ_QUERY_ERROR) {
    const MetricStore::LabelRef error = event_slot(slot, F::query_errors_total, {e.error_type});
    store_.count(slot, F::query_errors_total, 0, 1, error);
  }
  if (has_text(e.digest)) {
    // Only (database, digest) pairs seen at query begin have a slot (and their text).
    char key[LabelTable::kMaxKeyBytes];
    size_t key_len = 0;
    const MetricStore::LabelRef digest = digest_ref(slot, e.database, e.digest, key, key_len);
    if (digest.slot == store_.labels(S::query_digests).overflow_slot()) {
      store_.count_overflow(slot, F::query_digest_calls_total);
      store_.count_overflow(slot, F::query_digest_duration_seconds_total);
      store_.count_overflow(slot, F::query_digest_rows_examined_total);
    }
    store_.count(slot, F::query_digest_calls_total, 0, 1, digest);
    store_.count(slot, F::query_digest_duration_seconds_total, 0, e.duration_ns, digest);
    store_.count(slot, F::query_digest_rows_examined_total, 0, e.rows_examined, digest);
    if (traced) {
      store_.record_exemplar(F::query_digest_calls_total, 0, 0, trace, 1, digest.slot);
      store_.record_exemplar(F::query_digest_duration_seconds_total, 0, 0, trace, e.duration_ns,
                             digest.slot);
    }
  }
}

void EventRecorder::on_query_queue_enter(nq_thread_slot slot,
                                         const nq_query_queue_event&) noexcept {
  store_.add(slot, F::query_queue_length, 0, +1);
}

void EventRecorder::on_query_queue_leave(nq_thread_slot slot,
                                         const nq_query_queue_event&) noexcept {
  store_.add(slot, F::query_queue_length, 0, -1);
}

// ---- Connections -----------------------------------------------------------

void EventRecorder::on_connection_open(nq_thread_slot slot, const nq_connection_event&) noexcept {
  const MetricStore::Row row = store_.fixed_row(slot);
  store_.add(row, F::connections_active, 0, +1);
  store_.count(row, F::connections_total, 0);
}

void EventRecorder::on_connection_close(nq_thread_slot slot, const nq_connection_event&) noexcept {
  store_.add(slot, F::connections_active, 0, -1);
}

void EventRecorder::on_connection_error(nq_thread_slot slot,
                                        const nq_connection_error_event& e) noexcept {
  const MetricStore::LabelRef reason = event_slot(slot, F::connection_errors_total, {e.reason});
  store_.count(slot, F::connection_errors_total, 0, 1, reason);
}

// ---- Locks -----------------------------------------------------------------

void EventRecorder::on_lock_wait_end(nq_thread_slot slot, const nq_lock_wait_event& e) noexcept {
  const uint32_t type = lock_type_index(e.lock_type);
  const MetricStore::Row row = store_.fixed_row(slot);
  store_.count(row, F::lock_wait_seconds_total, type, e.wait_ns);
  store_.count(row, F::lock_waits_total, type);
  store_.observe(row, F::lock_wait_duration_seconds, type, e.wait_ns);
  const MetricStore::LabelRef resource =
      event_slot(slot, F::lock_resource_wait_seconds_total, {e.resource});
  store_.count(slot, F::lock_resource_wait_seconds_total, type, e.wait_ns, resource);
}

void EventRecorder::on_deadlock(nq_thread_slot slot, const nq_deadlock_event&) noexcept {
  store_.count(slot, F::deadlocks_total, 0);
}

// ---- Buffer pool, disk, WAL ------------------------------------------------

void EventRecorder::on_buffer_hit(nq_thread_slot slot, const nq_buffer_event& e) noexcept {
  store_.count(slot, F::buffer_pool_hits_total, 0, e.pages);
}

void EventRecorder::on_buffer_miss(nq_thread_slot slot, const nq_buffer_event& e) noexcept {
  store_.count(slot, F::buffer_pool_misses_total, 0, e.pages);
}

void EventRecorder::on_buffer_eviction(nq_thread_slot slot,
                                       const nq_buffer_eviction_event& e) noexcept {
  store_.count(slot, F::buffer_pool_evictions_total, e.dirty != 0 ? 1 : 0, e.pages);
}

void EventRecorder::on_disk_read(nq_thread_slot slot, const nq_disk_io_event& e) noexcept {
  const MetricStore::Row row = store_.fixed_row(slot);
  store_.count(row, F::disk_read_bytes_total, 0, e.bytes);
  store_.count(row, F::disk_read_ops_total, 0);
}

void EventRecorder::on_disk_write(nq_thread_slot slot, const nq_disk_io_event& e) noexcept {
  const MetricStore::Row row = store_.fixed_row(slot);
  store_.count(row, F::disk_write_bytes_total, 0, e.bytes);
  store_.count(row, F::disk_write_ops_total, 0);
}

void EventRecorder::on_wal_write(nq_thread_slot slot, const nq_wal_write_event& e) noexcept {
  store_.count(slot, F::wal_written_bytes_total, 0, e.bytes);
}

void EventRecorder::on_wal_segment(nq_thread_slot slot, const nq_wal_segment_event&) noexcept {
  store_.count(slot, F::wal_segments_total, 0);
}

void EventRecorder::on_wal_fsync(nq_thread_slot slot, const nq_wal_fsync_event& e) noexcept {
  store_.observe(slot, F::wal_fsync_duration_seconds, 0, e.duration_ns);
}

// ---- Indexes ---------------------------------------------------------------

void EventRecorder::on_index_created(nq_thread_slot slot, const nq_index_event& e) noexcept {
  // An announced index exists at 0, so "unused for 24 h" can be computed.
  event_slot(slot, F::index_scans_total, {e.table, e.index});
}

void EventRecorder::on_index_dropped(nq_thread_slot, const nq_index_event& e) noexcept {
  char key[LabelTable::kMaxKeyBytes];
  store_.labels(S::indexes)
      .erase({key, make_key({e.table, e.index}, key)});  // its counts move to __other__
}

void EventRecorder::on_index_scan(nq_thread_slot slot, const nq_index_scan_event& e) noexcept {
  const MetricStore::LabelRef index = event_slot(slot, F::index_scans_total, {e.table, e.index});
  if (index.slot == store_.labels(S::indexes).overflow_slot()) {
    store_.count_overflow(slot, F::index_rows_read_total);
  }
  store_.count(slot, F::index_scans_total, 0, 1, index);
  store_.count(slot, F::index_rows_read_total, 0, e.rows_read, index);
  store_.count(slot, F::index_lookups_total, e.hit != 0 ? 0 : 1);
}

// ---- WebSocket -------------------------------------------------------------

void EventRecorder::on_ws_connect(nq_thread_slot slot, const nq_ws_connection_event&) noexcept {
  const MetricStore::Row row = store_.fixed_row(slot);
  store_.add(row, F::websocket_connections_active, 0, +1);
  store_.count(row, F::websocket_connections_total, 0);
}

void EventRecorder::on_ws_disconnect(nq_thread_slot slot,
                                     const nq_ws_disconnect_event& e) noexcept {
  const MetricStore::Row row = store_.fixed_row(slot);
  store_.add(row, F::websocket_connections_active, 0, -1);
  const uint32_t reason =
      e.reason < NQ_WS_DISCONNECT_REASON_COUNT ? e.reason : NQ_WS_DISCONNECT_ERROR;
  store_.count(row, F::websocket_disconnects_total, reason);
}

void EventRecorder::on_ws_send(nq_thread_slot slot, const nq_ws_message_event& e) noexcept {
  const MetricStore::Row row = store_.fixed_row(slot);
  store_.count(row, F::websocket_messages_sent_total, 0);
  store_.count(row, F::websocket_messages_sent_bytes_total, 0, e.bytes);
  store_.observe(row, F::websocket_message_latency_seconds, 0, e.latency_ns);
}

void EventRecorder::on_ws_receive(nq_thread_slot slot, const nq_ws_message_event& e) noexcept {
  const MetricStore::Row row = store_.fixed_row(slot);
  store_.count(row, F::websocket_messages_received_total, 0);
  store_.count(row, F::websocket_messages_received_bytes_total, 0, e.bytes);
}

void EventRecorder::on_ws_drop(nq_thread_slot slot, const nq_ws_drop_event& e) noexcept {
  const uint32_t reason = e.reason < NQ_WS_DROP_REASON_COUNT ? e.reason : NQ_WS_DROP_CLOSED;
  store_.count(slot, F::websocket_messages_dropped_total, reason, e.messages);
  // The thread's cache knows a connection by its number's bytes; the label
  // value, the number in decimal, is written only when the table is asked.
  constexpr FamilyId kFamily = F::websocket_connection_dropped_messages_total;
  char raw[sizeof e.connection_id];
  std::memcpy(raw, &e.connection_id, sizeof raw);
  const MetricStore::LabelRef connection =
      store_.label_ref(slot, space_of(kFamily), {raw, sizeof raw}, [&] {
        char id[24];
        const auto end = std::to_chars(id, id + sizeof id, e.connection_id).ptr;
        return label_slot(slot, kFamily, {nq_str{id, static_cast<size_t>(end - id)}}, true);
      });
  store_.count(slot, kFamily, 0, e.messages, connection);
}

void EventRecorder::on_ws_subscribe(nq_thread_slot slot, const nq_ws_channel_event& e) noexcept {
  const MetricStore::LabelRef channel =
      event_slot(slot, F::websocket_channel_subscribers, {e.channel});
  store_.add(slot, F::websocket_channel_subscribers, 0, +1, channel);
}

void EventRecorder::on_ws_unsubscribe(nq_thread_slot slot, const nq_ws_channel_event& e) noexcept {
  // A channel that is not tracked had its subscriptions counted in __other__.
  const MetricStore::LabelRef channel =
      event_slot(slot, F::websocket_channel_subscribers, {e.channel}, /*insert=*/false);
  store_.add(slot, F::websocket_channel_subscribers, 0, -1, channel);
}

void EventRecorder::on_ws_stream_start(nq_thread_slot slot, const nq_ws_stream_event&) noexcept {
  store_.add(slot, F::websocket_active_streams, 0, +1);
}

void EventRecorder::on_ws_stream_end(nq_thread_slot slot, const nq_ws_stream_event& e) noexcept {
  const MetricStore::Row row = store_.fixed_row(slot);
  store_.add(row, F::websocket_active_streams, 0, -1);
  store_.count(row, F::websocket_stream_rows_total, 0, e.rows);
  store_.observe(row, F::websocket_stream_duration_seconds, 0, e.duration_ns);
}

void EventRecorder::on_ws_backpressure(nq_thread_slot slot,
                                       const nq_ws_backpressure_event& e) noexcept {
  store_.add(slot, F::websocket_backpressure_paused_connections, 0, e.paused != 0 ? +1 : -1);
}

// ---- Gauges, errors, quantum search ----------------------------------------

void EventRecorder::on_gauge_sample(nq_thread_slot, const nq_gauge_sample_event& e) noexcept {
  // A gauge from a newer engine has no family yet: it is counted as an event only.
  if (e.gauge < NQ_GAUGE_COUNT) {
    const GaugeTarget& target = gauge_target(e.gauge);
    store_.set(target.family, target.series, e.value);
  }
}

void EventRecorder::on_error(nq_thread_slot slot, const nq_error_event& e) noexcept {
  const MetricStore::LabelRef error =
      event_slot(slot, F::errors_total, {e.subsystem, e.error_type});
  store_.count(slot, F::errors_total, 0, 1, error);
}

void EventRecorder::on_quantum_operation(nq_thread_slot slot,
                                         const nq_quantum_operation_event& e) noexcept {
  const MetricStore::LabelRef operation =
      event_slot(slot, F::quantum_operations_total, {e.operation});
  if (operation.slot == store_.labels(S::quantum_operations).overflow_slot()) {
    store_.count_overflow(slot, F::quantum_operation_duration_seconds);
  }
  store_.count(slot, F::quantum_operations_total, e.succeeded != 0 ? 0 : 1, 1, operation);
  store_.observe(slot, F::quantum_operation_duration_seconds, 0, e.duration_ns, operation);
}

}  // namespace nq::metrics
