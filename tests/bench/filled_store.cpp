#include "filled_store.hpp"

#include <string>

namespace nq::metrics {

namespace {
constexpr uint32_t kSeriesPerIndex = 2;  // scans, rows read
}  // namespace

FilledStore::FilledStore(uint32_t series) {
  StoreOptions options;
  options.exclusive_slots = 4;
  const uint32_t indexes = series / kSeriesPerIndex;
  options.bounds[static_cast<size_t>(LabelSpaceId::indexes)] = indexes;
  store = std::make_unique<MetricStore>(options);
  LabelTable& table = store->labels(LabelSpaceId::indexes);
  for (uint32_t i = 0; i < indexes; ++i) {
    const std::string key = "table_" + std::to_string(i / 16) + '\0' + "idx_" + std::to_string(i);
    const uint32_t slot = table.find_or_insert(key);
    store->count(i % 4, FamilyId::index_scans_total, 0, i + 1, slot);
    store->count(i % 4, FamilyId::index_rows_read_total, 0, 10 * i, slot);
  }
}

FilledStore& filled_store(uint32_t series) {
  static FilledStore small(10'000), large(100'000);
  return series <= 10'000 ? small : large;
}

}  // namespace nq::metrics
