#include "fault_profiles.hpp"

#include <array>

#include "events.hpp"
#include "nq/nq_abi_cpp.hpp"

namespace nq::mock {
namespace {

using nq::to_nq_str;

struct Profile {
  std::string_view name;
  std::string_view what;
};

constexpr std::array<Profile, static_cast<size_t>(Fault::count)> kProfiles = {{
#define NQ_MOCK_FAULT_ROW(id, name, what) {name, what},
    NQ_MOCK_FAULT_PROFILES(NQ_MOCK_FAULT_ROW)
#undef NQ_MOCK_FAULT_ROW
}};

constexpr uint32_t kQueuedStatements = 150;
constexpr uint32_t kHeldConnections = 190;
constexpr double kGiB = 1024.0 * 1024 * 1024;

}  // namespace

std::optional<Fault> fault_by_name(std::string_view name) {
  for (size_t i = 0; i < kProfiles.size(); ++i) {
    if (kProfiles[i].name == name) return static_cast<Fault>(i);
  }
  return std::nullopt;
}

std::string describe(const FaultSet& faults) {
  std::string out;
  for (size_t i = 0; i < kProfiles.size(); ++i) {
    if (faults.test(i)) out += (out.empty() ? "" : ", ") + std::string(kProfiles[i].name);
  }
  return out.empty() ? "none" : out;
}

std::string fault_profiles_help() {
  std::string out;
  for (const Profile& p : kProfiles) {
    out += "  " + std::string(p.name) + std::string(18 - p.name.size(), ' ') + std::string(p.what) +
           "\n";
  }
  return out;
}

FaultInjector::~FaultInjector() {
  for (const uint64_t id : queued_) {
    auto e = make_event<nq_query_queue_event>();
    e.query_id = id;
    nq_host_query_queue_leave(host_, &e);
  }
  for (const uint64_t id : connections_) {
    auto e = make_event<nq_connection_event>();
    e.connection_id = id;
    nq_host_connection_close(host_, &e);
  }
}

void FaultInjector::tick(std::mt19937_64& rng, bool first) {
  if (on(Fault::slow_queries)) {
    for (int i = 0; i < 30; ++i) {
      auto begin = make_event<nq_query_begin_event>();
      begin.query_id = next_id_++;
      begin.query_type = NQ_QUERY_SELECT;
      nq_host_query_begin(host_, &begin);
      auto end = make_event<nq_query_end_event>();
      end.query_id = begin.query_id;
      end.query_type = NQ_QUERY_SELECT;
      end.status = NQ_QUERY_SUCCESS;
      end.duration_ns = between(rng, 2'000'000'000, 5'000'000'000);
      end.execute_ns = end.duration_ns;
      end.rows_examined = between(rng, 100'000, 5'000'000);
      end.rows_returned = 10;
      nq_host_query_end(host_, &end);
    }
  }
  if (on(Fault::lock_storm)) {
    for (int i = 0; i < 50; ++i) {
      auto e = make_event<nq_lock_wait_event>();
      e.lock_type = NQ_LOCK_EXCLUSIVE;
      e.resource = to_nq_str("table:orders");
      e.wait_ns = 200'000'000;
      e.acquired = 1;
      nq_host_lock_wait_end(host_, &e);
    }
    auto d = make_event<nq_deadlock_event>();
    d.participants = 3;
    nq_host_deadlock(host_, &d);
  }
  if (on(Fault::buffer_thrash)) {
    auto miss = make_event<nq_buffer_event>();
    miss.pages = 2000;
    nq_host_buffer_miss(host_, &miss);
    auto evict = make_event<nq_buffer_eviction_event>();
    evict.pages = 2000;
    evict.dirty = 1;
    nq_host_buffer_eviction(host_, &evict);
  }
  if (on(Fault::ws_drops)) {
    for (int i = 0; i < 20; ++i) {
      auto c = make_event<nq_ws_connection_event>();
      c.connection_id = next_id_++;
      nq_host_ws_connect(host_, &c);
      auto d = make_event<nq_ws_disconnect_event>();
      d.connection_id = c.connection_id;
      d.reason = i % 2 == 0 ? NQ_WS_DISCONNECT_ERROR : NQ_WS_DISCONNECT_TIMEOUT;
      d.duration_ns = between(rng, 1'000'000, 100'000'000);
      nq_host_ws_disconnect(host_, &d);
    }
  }
  if (on(Fault::queue_buildup) && first) {
    for (uint32_t i = 0; i < kQueuedStatements; ++i) {
      auto e = make_event<nq_query_queue_event>();
      e.query_id = next_id_++;
      queued_.push_back(e.query_id);
      nq_host_query_queue_enter(host_, &e);
    }
  }
  if (on(Fault::errors)) {
    for (int i = 0; i < 20; ++i) {
      auto e = make_event<nq_error_event>();
      e.subsystem = to_nq_str("storage");
      e.error_type = to_nq_str("io_error");
      nq_host_error(host_, &e);
    }
  }
  if (on(Fault::wal_burst)) {
    auto e = make_event<nq_wal_write_event>();
    e.bytes = 15 << 20;
    nq_host_wal_write(host_, &e);
  }
  if (on(Fault::quantum_failures)) {
    auto e = make_event<nq_quantum_operation_event>();
    e.operation = to_nq_str("grover_search");
    e.succeeded = 0;
    e.duration_ns = between(rng, 2'000'000, 40'000'000);
    nq_host_quantum_operation(host_, &e);
  }
  if (on(Fault::pool_saturation) && first) {
    for (uint32_t i = 0; i < kHeldConnections; ++i) {
      auto e = make_event<nq_connection_event>();
      e.connection_id = next_id_++;
      connections_.push_back(e.connection_id);
      nq_host_connection_open(host_, &e);
    }
  }
  if (on(Fault::unused_index) && first) {
    for (std::string_view index : {"idx_orders_unused_a", "idx_orders_unused_b"}) {
      auto e = make_event<nq_index_event>();
      e.table = to_nq_str("orders");
      e.index = to_nq_str(index);
      nq_host_index_created(host_, &e);
    }
  }
}

void FaultInjector::adjust_gauge(nq_gauge gauge, double& value) const {
  if (on(Fault::memory_pressure) && gauge == NQ_GAUGE_MEMORY_USAGE_BYTES) value = 0.92 * 8 * kGiB;
  if (on(Fault::disk_full) && gauge == NQ_GAUGE_STORAGE_FREE_BYTES) value = 25 * kGiB;
}

}  // namespace nq::mock
