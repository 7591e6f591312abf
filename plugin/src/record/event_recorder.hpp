// Turns hook events into metric records. This is the plugin's hot path.
//
// Thread-safety: every member is called concurrently from engine threads and
// is lock-free, allocation-free, system-call-free and noexcept, with bounded
// work per event (engine strings are cut to the label length before they are
// hashed). Event fields are untrusted: enum values out of range fold into
// "other"/"error", strings are sanitized (see label_value.hpp).
#pragma once

#include <array>
#include <cstring>
#include <memory>

#include "catalogue/hook_names.hpp"
#include "record/raw_key.hpp"
#include "record/recorder_options.hpp"
#include "store/metric_store.hpp"

namespace nq::metrics {

class EventRecorder {
 public:
  EventRecorder(MetricStore& store, RecorderOptions options);

  // Every hook call is counted, whatever the event holds.
  [[gnu::always_inline]] void count_hook(nq_thread_slot slot, HookId hook) noexcept {
    store_.count(store_.fixed_row(slot), FamilyId::plugin_events_total,
                 static_cast<uint32_t>(hook));
  }
  // A hook call whose event cannot be read (NULL, or a struct_size smaller
  // than the event's first version): counted, not recorded.
  void count_malformed(nq_thread_slot slot, HookId hook) noexcept {
    store_.count(slot, FamilyId::plugin_malformed_events_total, static_cast<uint32_t>(hook));
  }

// One recorder per hook: on_query_begin(slot, event), ...
#define NQ_METRICS_DECLARE_RECORDER(name, event_type, doc) \
  void on_##name(nq_thread_slot slot, const event_type& event) noexcept;
  NQ_HOOK_LIST(NQ_METRICS_DECLARE_RECORDER)
#undef NQ_METRICS_DECLARE_RECORDER

 private:
  // Writes the key made of the sanitized `parts` to `key`; returns its length.
  size_t make_key(std::initializer_list<nq_str> parts, char* key) const noexcept;
  // Slot of the engine-valued key made of `parts` in the space of `id`
  // (inserted if `insert`), or the space's overflow slot, the event of `id`
  // then counted as an overflow.
  uint32_t label_slot(nq_thread_slot slot, FamilyId id, std::initializer_list<nq_str> parts,
                      bool insert) noexcept;
  // A statement's database, user or application as a label value written to
  // `out`: sanitized, or empty when the engine gave none; returns its length.
  size_t context_value(nq_str value, char* out) const noexcept;
  // The key of a (database, digest) pair; returns its length.
  size_t digest_key(nq_str database, nq_str digest, char* key) const noexcept;
  // Slot of a statement's context value in the space of `count_id` (inserted);
  // an overflow is counted for `count_id` and `time_id`, the two families
  // recorded with it.
  uint32_t context_slot(nq_thread_slot slot, FamilyId count_id, FamilyId time_id,
                        nq_str value) noexcept;
  // The label slots of a statement's database, user and application: from
  // the thread's context cache when it holds all three (the common case,
  // inline), else by context_slot() for each.
  struct StatementLabels {
    uint32_t database, user, application;
  };
  StatementLabels statement_labels(nq_thread_slot slot, const nq_query_end_event& e) noexcept {
    if (slot < cached_slots_) {
      const ContextCache& cache = context_cache_[slot];
      const auto& [database, user, application] = cache.entries;
      if (remembers(database, Context::database, e.database) &&
          remembers(user, Context::user, e.user) &&
          remembers(application, Context::application, e.application)) {
        return {database.label, user.label, application.label};
      }
    }
    return resolve_statement_labels(slot, e);
  }
  StatementLabels resolve_statement_labels(nq_thread_slot slot,
                                           const nq_query_end_event& e) noexcept;

  // The statement context (database, user, application) of an engine thread
  // changes rarely from one statement to the next: each exclusive thread slot
  // remembers, per context space, the raw value it last sent and its label
  // slot, valid while the space's table has freed no slot since. Written and
  // read only by the slot's owner; other threads go the table's way.
  enum class Context : uint32_t { database, user, application, count };
  static constexpr size_t kContextCacheBytes = 48;  // longer values are not remembered
  struct ContextEntry {
    uint32_t len = UINT32_MAX;  // of raw; UINT32_MAX: nothing remembered
    uint32_t label = 0;
    uint64_t frees = 0;  // the table's frees() when it was remembered
    char raw[kContextCacheBytes];
  };
  struct alignas(64) ContextCache {
    ContextEntry entries[static_cast<size_t>(Context::count)];
  };
  // True when `entry` holds `value` (NULL and empty alike) and is still valid.
  bool remembers(const ContextEntry& entry, Context context, nq_str value) const noexcept {
    const size_t len = value.data != nullptr ? value.len : 0;
    return len <= kContextCacheBytes && entry.len == len &&
           entry.frees == context_tables_[static_cast<size_t>(context)]->frees() &&
           (len == 0 || std::memcmp(entry.raw, value.data, len) == 0);
  }
  // Where an event of `id` with the engine-valued `parts` counts; counts the
  // event if it overflowed.
  MetricStore::LabelRef event_slot(nq_thread_slot slot, FamilyId id,
                                   std::initializer_list<nq_str> parts,
                                   bool insert = true) noexcept;
  // The digest's text arrives with the statement: this is where its
  // (database, digest) pair gets a slot. Not inlined, so that a statement
  // without a digest does not set up its buffers.
  [[gnu::noinline]] void register_digest(nq_thread_slot slot,
                                         const nq_query_begin_event& e) noexcept;
  // Where a statement of a (database, digest) pair counts (found, never
  // inserted); when the thread's cache did not hold it, its key is written to
  // `key` and its length to `key_len`.
  MetricStore::LabelRef digest_ref(nq_thread_slot slot, nq_str database, nq_str digest, char* key,
                                   size_t& key_len) noexcept;

  // The cells a statement's end adds to, resolved from the store's layout
  // when the recorder is made: on_query_end() reads each instead of
  // computing it (the loads would be repeated after every add, which the
  // compiler may not move across).
  struct StatementCells {
    struct OfType {
      std::array<MetricStore::SeriesCell, NQ_QUERY_STATUS_COUNT> queries;
      MetricStore::SeriesCell duration, slow, rows_examined, rows_returned;
    };
    MetricStore::SeriesCell active;
    std::array<MetricStore::SeriesCell, kQueryPhaseCount> phases;
    std::array<OfType, NQ_QUERY_TYPE_COUNT> of_type;
    std::array<MetricStore::LabelledCells, NQ_QUERY_STATUS_COUNT> database_queries, user_queries;
    MetricStore::LabelledCells database_duration, user_time, application_queries, application_time;
    // The database's duration histogram has the bounds of the statement's
    // (unless the settings changed one): the bucket is looked up once.
    bool database_buckets_as_statement = false;
  };
  static StatementCells resolve_statement_cells(const MetricStore& store) noexcept;

  MetricStore& store_;
  const RecorderOptions options_;
  const StatementCells statement_cells_;
  const uint32_t cached_slots_;  // exclusive thread slots with a context cache
  std::unique_ptr<ContextCache[]> context_cache_;
  std::array<const LabelTable*, static_cast<size_t>(Context::count)> context_tables_;
};

}  // namespace nq::metrics
