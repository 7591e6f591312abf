#include "store/cell_arena.hpp"

namespace nq::metrics {

CellArena::CellArena(uint32_t cells, uint32_t exclusive_slots)
    : exclusive_slots_(exclusive_slots),
      lines_per_row_((cells + kCellsPerLine - 1) / kCellsPerLine),
      // std::atomic value-initializes (to 0) since C++20.
      lines_(new Line[size_t{exclusive_slots + 1} * lines_per_row_]) {}

uint64_t CellArena::sum(uint32_t cell) const noexcept {
  uint64_t total = 0;
  for (uint32_t row = 0; row <= exclusive_slots_; ++row) {
    total += at(row, cell).load(std::memory_order_relaxed);
  }
  return total;
}

size_t CellArena::memory_bytes() const noexcept {
  return sizeof(Line) * size_t{exclusive_slots_ + 1} * lines_per_row_;
}

}  // namespace nq::metrics
