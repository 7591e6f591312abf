#include "workload.hpp"

#include "engine_activity.hpp"
#include "events.hpp"
#include "nq/nq_abi_cpp.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

namespace nq::mock {
namespace {

using Clock = std::chrono::steady_clock;

// What a query of each type looks like: typical duration and statements.
struct QueryShape {
  double median_ms;
  std::array<std::string_view, 3> statements;  // normalized: literals replaced
};

constexpr std::array<QueryShape, NQ_QUERY_TYPE_COUNT> kShapes = {{
    {2.0,
     {"SELECT * FROM orders WHERE id = ?", "SELECT name, email FROM customers WHERE region = ?",
      "SELECT count(*) FROM events WHERE created_at > ?"}},
    {4.0,
     {"INSERT INTO orders (customer_id, total) VALUES (?, ?)",
      "INSERT INTO events (kind, payload) VALUES (?, ?)",
      "INSERT INTO audit_log VALUES (?, ?, ?)"}},
    {6.0,
     {"UPDATE orders SET status = ? WHERE id = ?", "UPDATE customers SET email = ? WHERE id = ?",
      "UPDATE inventory SET stock = stock - ? WHERE sku = ?"}},
    {5.0,
     {"DELETE FROM sessions WHERE expires_at < ?", "DELETE FROM carts WHERE id = ?",
      "DELETE FROM events WHERE created_at < ?"}},
    {50.0,
     {"CREATE INDEX idx_orders_status ON orders (status)",
      "ALTER TABLE orders ADD COLUMN note TEXT", "DROP INDEX idx_orders_status"}},
    {3.0, {"VACUUM orders", "ANALYZE customers", "SHOW server_version"}},
}};

constexpr std::array<std::string_view, 3> kErrorTypes = {"constraint_violation", "syntax_error",
                                                         "timeout"};
constexpr auto kMaxSimulatedWait = std::chrono::milliseconds(20);
constexpr double kSlowTail = 0.01;  // share of statements that are 200 times slower

bool is_traced(const uint8_t (&trace_id)[16]) {
  return std::any_of(std::begin(trace_id), std::end(trace_id), [](uint8_t b) { return b != 0; });
}

// A stable fingerprint of a normalized statement (FNV-1a, 64 bits, hex).
std::string digest_of(std::string_view statement) {
  uint64_t h = 1469598103934665603ull;
  for (const char c : statement) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

// Names of the databases, users and applications of the workload; past the
// list, the prefix and a number.
struct Names {
  std::string_view prefix;
  std::array<std::string_view, 4> first;
};
constexpr Names kDatabaseNames = {"db", {"shop", "billing", "analytics", "inventory"}};
constexpr Names kUserNames = {"user", {"web", "batch", "reporting", "admin"}};
constexpr Names kApplicationNames = {"app", {"storefront", "invoicer", "dashboards", "psql"}};

std::vector<std::string> names_of(const Names& names, uint32_t count) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < count; ++i) {
    out.emplace_back(i < names.first.size() ? std::string(names.first[i])
                                            : std::string(names.prefix) + std::to_string(i));
  }
  return out;
}

// Picks one of `names` (the first busiest: weight 1 / (i + 1)); none when empty.
class NamePicker {
 public:
  explicit NamePicker(std::vector<std::string> names) : names_(std::move(names)) {
    std::vector<double> weights;
    for (size_t i = 0; i < names_.size(); ++i) weights.push_back(1.0 / static_cast<double>(i + 1));
    pick_ = std::discrete_distribution<size_t>(weights.begin(), weights.end());
  }
  nq_str operator()(std::mt19937_64& rng) {
    return names_.empty() ? nq_str{nullptr, 0} : nq::to_nq_str(names_[pick_(rng)]);
  }

 private:
  std::vector<std::string> names_;
  std::discrete_distribution<size_t> pick_;
};

}  // namespace

Workload::Workload(const WorkloadConfig& config, nq_host* host, uint64_t seed, TraceLog* trace_log)
    : config_(config), host_(host), seed_(seed), trace_log_(trace_log) {}

void Workload::start() {
  for (uint32_t i = 0; i < config_.threads; ++i)
    workers_.emplace_back(&Workload::run_worker, this, i);
}

void Workload::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

std::array<uint64_t, NQ_QUERY_TYPE_COUNT> Workload::issued() const {
  std::array<uint64_t, NQ_QUERY_TYPE_COUNT> out{};
  for (size_t t = 0; t < out.size(); ++t) out[t] = issued_[t].load(std::memory_order_relaxed);
  return out;
}

bool Workload::sleep_until(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_until(lock, deadline, [this] { return stopping_; });
}

void Workload::run_worker(uint32_t index) {
  std::mt19937_64 rng(seed_ + index);
  std::discrete_distribution<uint32_t> pick_type(config_.mix.begin(), config_.mix.end());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> spread(0.0, 0.8);
  const auto interval =
      config_.queries_per_second > 0
          ? std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(config_.threads / config_.queries_per_second))
          : Clock::duration::zero();
  auto next = Clock::now();
  std::array<std::array<std::string, 3>, NQ_QUERY_TYPE_COUNT> digests;
  for (size_t t = 0; t < kShapes.size(); ++t) {
    for (size_t s = 0; s < 3; ++s) digests[t][s] = digest_of(kShapes[t].statements[s]);
  }

  NamePicker pick_database(names_of(kDatabaseNames, config_.databases));
  NamePicker pick_user(names_of(kUserNames, config_.users));
  NamePicker pick_application(names_of(kApplicationNames, config_.applications));

  for (uint64_t query_id = uint64_t{index} << 40;; ++query_id) {
    const uint32_t type = pick_type(rng);
    const size_t which = rng() % 3;
    const std::string_view statement = kShapes[type].statements[which];
    const nq_str digest = nq::to_nq_str(digests[type][which]);

    auto begin = make_event<nq_query_begin_event>();
    begin.query_type = type;
    begin.query_id = query_id;
    begin.connection_id = index + 1;
    begin.digest = digest;
    begin.normalized_text = nq::to_nq_str(statement);
    begin.database = pick_database(rng);
    begin.user = pick_user(rng);
    begin.application = pick_application(rng);
    if (unit(rng) < config_.traced_share) {
      // A random W3C trace-id and parent-id (never all zero: that means none).
      for (size_t i = 0; i < sizeof begin.trace_id; i += 8) {
        const uint64_t r = rng() | 1;
        std::memcpy(begin.trace_id + i, &r, 8);
      }
      const uint64_t span = rng() | 1;
      std::memcpy(begin.span_id, &span, sizeof begin.span_id);
    }
    const auto started = Clock::now();
    begin.timestamp_ns = static_cast<uint64_t>(started.time_since_epoch().count());
    nq_host_query_begin(host_, &begin);
    emit_query_io(host_, rng, type, query_id);

    // Lognormal duration around the type's median, with a rare slow tail; the
    // thread really waits a part of it so that queries are visibly active.
    const double tail = unit(rng) < kSlowTail ? 200.0 : 1.0;
    const double ms = tail * kShapes[type].median_ms * std::exp(spread(rng));
    const auto duration = std::chrono::duration<double, std::milli>(ms);
    const bool running = sleep_until(
        started + std::min<Clock::duration>(std::chrono::duration_cast<Clock::duration>(duration),
                                            kMaxSimulatedWait));

    auto end = make_event<nq_query_end_event>();
    end.query_type = type;
    end.query_id = query_id;
    end.connection_id = begin.connection_id;
    const double roll = unit(rng);
    end.status = roll < 0.997   ? NQ_QUERY_SUCCESS
                 : roll < 0.999 ? NQ_QUERY_ERROR
                                : NQ_QUERY_CANCELLED;
    end.duration_ns = static_cast<uint64_t>(ms * 1e6);
    end.parse_ns = end.duration_ns / 20;
    end.plan_ns = end.duration_ns / 10;
    end.lock_wait_ns = end.duration_ns / 10;
    end.io_wait_ns = end.duration_ns / 5;
    end.execute_ns =
        end.duration_ns - end.parse_ns - end.plan_ns - end.lock_wait_ns - end.io_wait_ns;
    end.rows_examined = 1 + rng() % 1000;
    end.rows_returned = type == NQ_QUERY_SELECT ? end.rows_examined / 4 : 0;
    end.digest = digest;
    end.database = begin.database;
    end.user = begin.user;
    end.application = begin.application;
    std::memcpy(end.trace_id, begin.trace_id, sizeof end.trace_id);
    std::memcpy(end.span_id, begin.span_id, sizeof end.span_id);
    end.timestamp_ns = static_cast<uint64_t>(Clock::now().time_since_epoch().count());
    if (end.status == NQ_QUERY_ERROR) {
      end.error_type = nq::to_nq_str(kErrorTypes[rng() % kErrorTypes.size()]);
    }
    nq_host_query_end(host_, &end);
    if (trace_log_ != nullptr && is_traced(end.trace_id)) {
      trace_log_->append(end.trace_id, end.span_id, type, end.duration_ns);
    }
    issued_[type].fetch_add(1, std::memory_order_relaxed);

    if (!running) return;
    next = std::max(next + interval, Clock::now() - interval);  // no burst after a stall
    if (interval != Clock::duration::zero() && !sleep_until(next)) return;
  }
}

}  // namespace nq::mock
