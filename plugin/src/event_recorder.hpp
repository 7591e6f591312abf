// Turns hook events into metric records. This is the plugin's hot path.
//
// Thread-safety: every member is called concurrently from engine threads and
// is wait-free, allocation-free, system-call-free and noexcept. Event fields
// are untrusted: enum values out of range fold into "other"/"error".
#pragma once

#include "hook_names.hpp"
#include "metric_store.hpp"

namespace nq::metrics {

class EventRecorder {
 public:
  explicit EventRecorder(MetricStore& store) : store_(store) {}

  // Every hook call is counted, whatever the event holds.
  void count_hook(nq_thread_slot slot, HookId hook) noexcept {
    store_.count(slot, FamilyId::plugin_events_total, static_cast<uint32_t>(hook));
  }

  void record(nq_thread_slot slot, const nq_query_begin_event& event) noexcept;
  void record(nq_thread_slot slot, const nq_query_end_event& event) noexcept;

  // Hooks whose events have no metrics of their own yet are counted only.
  template <class Event>
  void record(nq_thread_slot, const Event&) noexcept {}

 private:
  MetricStore& store_;
};

}  // namespace nq::metrics
