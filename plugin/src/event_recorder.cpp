#include "event_recorder.hpp"

namespace nq::metrics {
namespace {

uint32_t query_type_index(nq_query_type type) noexcept {
  return type < NQ_QUERY_TYPE_COUNT ? type : NQ_QUERY_OTHER;
}

uint32_t query_status_index(nq_query_status status) noexcept {
  return status < NQ_QUERY_STATUS_COUNT ? status : NQ_QUERY_ERROR;
}

}  // namespace

void EventRecorder::record(nq_thread_slot slot, const nq_query_begin_event&) noexcept {
  store_.add(slot, FamilyId::active_queries, 0, +1);
}

void EventRecorder::record(nq_thread_slot slot, const nq_query_end_event& event) noexcept {
  const uint32_t type = query_type_index(event.query_type);
  store_.add(slot, FamilyId::active_queries, 0, -1);
  store_.count(slot, FamilyId::queries_total,
               type * NQ_QUERY_STATUS_COUNT + query_status_index(event.status));
  store_.observe(slot, FamilyId::query_duration_seconds, type, event.duration_ns);
}

}  // namespace nq::metrics
