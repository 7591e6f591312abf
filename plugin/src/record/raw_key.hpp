// An engine-valued key as the engine sent it, before any sanitizing: the
// bytes a thread's LabelCache finds a value by (store/label_cache.hpp).
//
// Thread-safety: pure functions; the caller owns `buffer`.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string_view>

#include "nq/nq_plugin_abi.h"
#include "store/label_cache.hpp"

namespace nq::metrics {

// A part's bytes; NULL and empty both become "unknown": the same raw value.
inline std::string_view raw_bytes(nq_str part) noexcept {
  return part.data != nullptr ? std::string_view(part.data, part.len) : std::string_view();
}

// A pair's raw key, written to `buffer` (kRawKeyBufferBytes): the length of
// the first part (one byte), the first part, the second. Longer than
// LabelCache::kKeyBytes when they do not fit (the cache then holds none).
constexpr size_t kRawKeyBufferBytes = LabelCache::kKeyBytes + 1;
std::string_view raw_pair(nq_str first, nq_str second, char* buffer) noexcept;

// The raw key of `parts` (one or two, as keys have): a single part itself, a
// pair by raw_pair().
inline std::string_view raw_key(std::initializer_list<nq_str> parts, char* buffer) noexcept {
  return parts.size() == 1 ? raw_bytes(*parts.begin())
                           : raw_pair(parts.begin()[0], parts.begin()[1], buffer);
}

}  // namespace nq::metrics
