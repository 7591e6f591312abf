// nq_abi_cpp.hpp - C++ helpers for the C ABI of nq_plugin_abi.h: nq_str to
// and from std::string_view, events with their struct_size, the error-buffer
// convention, the label names of
// the ABI's lists and the metric each sampled gauge sets. Header-only; depends on the C header and
// the standard library only.
//
// Thread-safety: pure functions and constants; safe from any thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "nq/nq_plugin_abi.h"

namespace nq {

// The text of an nq_str; empty when data is NULL.
inline constexpr std::string_view to_string_view(nq_str s) noexcept {
  return s.data != nullptr ? std::string_view(s.data, s.len) : std::string_view();
}

// An nq_str that points into `s` (valid as long as `s`'s characters are).
inline constexpr nq_str to_nq_str(std::string_view s) noexcept {
  return {s.data(), s.size()};
}

// A zeroed versioned struct (an event, services, options) whose struct_size
// says it is this version's: nq::make_event<nq_query_end_event>().
template <class Struct>
constexpr Struct make_event() noexcept {
  Struct s{};
  s.struct_size = sizeof s;
  return s;
}

// A versioned struct a caller passed, read as the ABI promises: nullptr when
// it is missing or smaller than its first version (malformed); `given`
// itself when it has at least this version's fields; else its struct_size
// bytes copied into `local`, the rest zero, so that a field the caller's
// version does not have reads as 0 / empty, "not given". Never reads past
// struct_size.
template <class Struct>
const Struct* read_versioned(const Struct* given, uint32_t first_version_size,
                             Struct& local) noexcept {
  if (given == nullptr || given->struct_size < first_version_size) return nullptr;
  if (given->struct_size >= sizeof(Struct)) return given;
  local = Struct{};
  std::memcpy(&local, given, given->struct_size);
  return &local;
}

// Fills a caller's versioned struct from `full`, writing only the bytes its
// struct_size covers (a caller of an earlier version gets its fields only).
template <class Struct>
void write_versioned(Struct full, Struct* out) noexcept {
  full.struct_size = out->struct_size;
  std::memcpy(out, &full, std::min<size_t>(out->struct_size, sizeof(Struct)));
}

// Writes `message` into a caller's error buffer (err, err_cap), the ABI's
// convention: truncated to err_cap - 1 bytes and NUL-terminated; nothing
// when err is NULL or err_cap is 0.
inline void copy_message(std::string_view message, char* err, size_t err_cap) noexcept {
  if (err == nullptr || err_cap == 0) return;
  const size_t n = std::min(message.size(), err_cap - 1);
  if (n != 0) std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

// The label names of the ABI's lists, indexed by value: "select", ... (the
// lists' values run from 0 in list order; the static_asserts below prove it).
#define NQ_ABI_CPP_LABEL(name, value, label, doc) std::string_view(label),
#define NQ_ABI_CPP_NAMES(list, count)   \
  std::array<std::string_view, count> { \
    list(NQ_ABI_CPP_LABEL)              \
  }
inline constexpr auto kQueryTypeNames = NQ_ABI_CPP_NAMES(NQ_QUERY_TYPE_LIST, NQ_QUERY_TYPE_COUNT);
inline constexpr auto kQueryStatusNames =
    NQ_ABI_CPP_NAMES(NQ_QUERY_STATUS_LIST, NQ_QUERY_STATUS_COUNT);
inline constexpr auto kLockTypeNames = NQ_ABI_CPP_NAMES(NQ_LOCK_TYPE_LIST, NQ_LOCK_TYPE_COUNT);
inline constexpr auto kWsDisconnectReasonNames =
    NQ_ABI_CPP_NAMES(NQ_WS_DISCONNECT_REASON_LIST, NQ_WS_DISCONNECT_REASON_COUNT);
inline constexpr auto kWsDropReasonNames =
    NQ_ABI_CPP_NAMES(NQ_WS_DROP_REASON_LIST, NQ_WS_DROP_REASON_COUNT);
inline constexpr auto kLogLevelNames = NQ_ABI_CPP_NAMES(NQ_LOG_LEVEL_LIST, NQ_LOG_LEVEL_COUNT);
#undef NQ_ABI_CPP_NAMES
#undef NQ_ABI_CPP_LABEL

namespace detail {
template <size_t N>
constexpr bool runs_from_zero(const std::array<uint32_t, N>& values) {
  for (size_t i = 0; i < N; ++i) {
    if (values[i] != i) return false;
  }
  return true;
}
}  // namespace detail
#define NQ_ABI_CPP_VALUE(name, value, label, doc) name,
static_assert(detail::runs_from_zero(std::array{NQ_QUERY_TYPE_LIST(NQ_ABI_CPP_VALUE)}));
static_assert(detail::runs_from_zero(std::array{NQ_QUERY_STATUS_LIST(NQ_ABI_CPP_VALUE)}));
static_assert(detail::runs_from_zero(std::array{NQ_LOCK_TYPE_LIST(NQ_ABI_CPP_VALUE)}));
static_assert(detail::runs_from_zero(std::array{NQ_WS_DISCONNECT_REASON_LIST(NQ_ABI_CPP_VALUE)}));
static_assert(detail::runs_from_zero(std::array{NQ_WS_DROP_REASON_LIST(NQ_ABI_CPP_VALUE)}));
static_assert(detail::runs_from_zero(std::array{NQ_LOG_LEVEL_LIST(NQ_ABI_CPP_VALUE)}));
#undef NQ_ABI_CPP_VALUE

// The metric (and state label) each sampled gauge sets, indexed by value.
struct GaugeMetric {
  std::string_view metric;
  std::string_view state;  // empty: the metric has no state label
};
#define NQ_ABI_CPP_GAUGE(name, value, metric, state, doc) GaugeMetric{metric, state},
inline constexpr std::array<GaugeMetric, NQ_GAUGE_COUNT> kGaugeMetrics = {
    {NQ_GAUGE_LIST(NQ_ABI_CPP_GAUGE)}};
#undef NQ_ABI_CPP_GAUGE
#define NQ_ABI_CPP_GAUGE_VALUE(name, value, metric, state, doc) name,
static_assert(detail::runs_from_zero(std::array{NQ_GAUGE_LIST(NQ_ABI_CPP_GAUGE_VALUE)}));
#undef NQ_ABI_CPP_GAUGE_VALUE

// The label of a query type; "other" for an unknown value.
inline constexpr std::string_view query_type_name(nq_query_type type) noexcept {
  return kQueryTypeNames[type < NQ_QUERY_TYPE_COUNT ? type : NQ_QUERY_OTHER];
}

// The label of a log level; "error" for an unknown value.
inline constexpr std::string_view log_level_name(nq_log_level level) noexcept {
  return kLogLevelNames[level < NQ_LOG_LEVEL_COUNT ? level : NQ_LOG_ERROR];
}

}  // namespace nq
