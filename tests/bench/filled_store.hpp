// A metric store filled for the scrape benchmarks: the index label space holds
// enough live values for about `series` series in all (each index has two
// counter series, scans and rows read), every one of them counted, on top of
// the other series of the catalogue. One store of 10k and one of 100k series,
// built on first use and kept for the run.
//
// Thread-safety: filled_store() may be called from any thread; a store is
// collected by one scrape at a time (the store's own scrape lock).
#pragma once

#include <cstdint>
#include <memory>

#include "store/metric_store.hpp"

namespace nq::metrics {

struct FilledStore {
  explicit FilledStore(uint32_t series);
  std::unique_ptr<MetricStore> store;
  PluginIdentity identity{"0.1.0", "1.0", "bench", 1.7e9, 1.7e9};
};

// The store of 10,000 series when `series` <= 10,000, else the one of 100,000.
FilledStore& filled_store(uint32_t series);

}  // namespace nq::metrics
