#include "store/cell_arena.hpp"

namespace nq::metrics {

CellArena::CellArena(uint32_t cells, uint32_t exclusive_slots)
    : exclusive_slots_(exclusive_slots),
      cells_per_row_(LineAlignedCells::whole_lines(cells)),
      storage_(size_t{exclusive_slots + 1} * cells_per_row_),
      cells_(storage_.data()) {}

uint64_t CellArena::sum(uint32_t cell) const noexcept {
  uint64_t total = 0;
  for (uint32_t row = 0; row <= exclusive_slots_; ++row) {
    total += at(row, cell).load(std::memory_order_relaxed);
  }
  return total;
}

size_t CellArena::memory_bytes() const noexcept {
  return storage_.memory_bytes();
}

}  // namespace nq::metrics
