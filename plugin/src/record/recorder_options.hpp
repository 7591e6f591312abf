// What an EventRecorder is built with: the settings of recording.
//
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <cstdint>

#include "store/label_value.hpp"

namespace nq::metrics {

struct RecorderOptions {
  uint64_t slow_query_ns = 1'000'000'000;
  size_t label_value_max_bytes = kMaxLabelValueBytes;
};

}  // namespace nq::metrics
