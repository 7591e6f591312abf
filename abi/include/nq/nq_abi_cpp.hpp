// nq_abi_cpp.hpp - C++ helpers for the C ABI of nq_plugin_abi.h: nq_str to
// and from std::string_view, the error-buffer convention, and the label names
// of the ABI's lists. Header-only; depends on the C header and the standard
// library only.
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

// Writes `message` into a caller's error buffer (err, err_cap), the ABI's
// convention: truncated to err_cap - 1 bytes and NUL-terminated; nothing
// when err is NULL or err_cap is 0.
inline void copy_message(std::string_view message, char* err, size_t err_cap) noexcept {
  if (err == nullptr || err_cap == 0) return;
  const size_t n = std::min(message.size(), err_cap - 1);
  if (n != 0) std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

// The label names of the ABI's lists, indexed by value: "select", ...
#define NQ_ABI_CPP_LABEL(name, value, label, doc) std::string_view(label),
inline constexpr std::array<std::string_view, NQ_QUERY_TYPE_COUNT> kQueryTypeNames = {
    NQ_QUERY_TYPE_LIST(NQ_ABI_CPP_LABEL)};
inline constexpr std::array<std::string_view, NQ_LOG_LEVEL_COUNT> kLogLevelNames = {
    NQ_LOG_LEVEL_LIST(NQ_ABI_CPP_LABEL)};
#undef NQ_ABI_CPP_LABEL

// The lists' values run from 0 in list order, so the arrays index by value.
#define NQ_ABI_CPP_CHECK_ORDER(name, value, label, doc) \
  static_assert(name < kQueryTypeNames.size() && kQueryTypeNames[name] == label);
NQ_QUERY_TYPE_LIST(NQ_ABI_CPP_CHECK_ORDER)
#undef NQ_ABI_CPP_CHECK_ORDER
#define NQ_ABI_CPP_CHECK_ORDER(name, value, label, doc) \
  static_assert(name < kLogLevelNames.size() && kLogLevelNames[name] == label);
NQ_LOG_LEVEL_LIST(NQ_ABI_CPP_CHECK_ORDER)
#undef NQ_ABI_CPP_CHECK_ORDER

// The label of a query type; "other" for an unknown value.
inline constexpr std::string_view query_type_name(nq_query_type type) noexcept {
  return kQueryTypeNames[type < NQ_QUERY_TYPE_COUNT ? type : NQ_QUERY_OTHER];
}

// The label of a log level; "error" for an unknown value.
inline constexpr std::string_view log_level_name(nq_log_level level) noexcept {
  return kLogLevelNames[level < NQ_LOG_LEVEL_COUNT ? level : NQ_LOG_ERROR];
}

}  // namespace nq
