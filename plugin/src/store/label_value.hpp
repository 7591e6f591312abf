// Turning an engine-supplied string into a label value, on the hot path.
//
// A label value is at most kMaxLabelValueBytes bytes of valid UTF-8: bytes
// that are not part of a valid UTF-8 sequence, NUL and other C0 controls
// become '?', the text is cut at a character boundary, and an empty or NULL
// string becomes "unknown". The result never grows the input, so callers use
// a fixed buffer and nothing is allocated.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nq/nq_plugin_abi.h"

namespace nq::metrics {

inline constexpr size_t kMaxLabelValueBytes = 128;

// Writes the label value for `in` to `out` (capacity >= max_bytes, max_bytes
// <= kMaxLabelValueBytes) and returns its length.
size_t sanitize_label_value(nq_str in, char* out, size_t max_bytes) noexcept;

// Writes `in` (at most max_bytes, already a label value) to `out` with its
// literals replaced by '?': quoted strings and numbers. A defence in depth for
// digest texts, which the engine should send normalized already: a raw
// statement's values never reach the exposition. Returns the length.
size_t strip_literals(std::string_view in, char* out) noexcept;

// A 64-bit hash of a byte string; fast, not collision-resistant (a hostile
// engine that forces collisions only lands in the overflow series sooner).
uint64_t hash_bytes(std::string_view bytes) noexcept;

}  // namespace nq::metrics
