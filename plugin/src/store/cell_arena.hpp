// Thread-owned 64-bit counter cells, summed at scrape time.
//
// The arena holds one row of cells per exclusive thread slot plus one shared
// row. A hook call on exclusive slot s is the only writer of row s, so it adds
// with a plain load + store (no lock prefix, no contention); a call without an
// exclusive slot (NQ_THREAD_SLOT_SHARED, or a slot past the arena) adds to the
// shared row with an atomic fetch_add. Either way no increment is lost.
// Rows start on their own cache lines so threads never share a line.
//
// Thread-safety: add() is wait-free and may run concurrently with sum() on any
// thread. All memory is allocated in the constructor; add() never allocates,
// locks or makes a system call. Gauges that go up and down store two's
// complement deltas; the sum wraps back to the signed value.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "nq/nq_plugin_abi.h"
#include "store/line_aligned_cells.hpp"

namespace nq::metrics {

class CellArena {
 public:
  CellArena(uint32_t cells, uint32_t exclusive_slots);

  void add(nq_thread_slot slot, uint32_t cell, uint64_t n) noexcept {
    if (slot < exclusive_slots_) {
      std::atomic<uint64_t>& c = at(slot, cell);
      c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    } else {
      at(exclusive_slots_, cell).fetch_add(n, std::memory_order_relaxed);
    }
  }

  // Sum of the cell over all rows. Concurrent adds may or may not be included.
  uint64_t sum(uint32_t cell) const noexcept;

  // Resets the cell to zero and returns what it held. Only for an arena
  // without exclusive rows, where every add is atomic, so none is lost.
  uint64_t take(uint32_t cell) noexcept {
    std::atomic<uint64_t>& c = at(exclusive_slots_, cell);
    return c.load(std::memory_order_relaxed) == 0 ? 0 : c.exchange(0, std::memory_order_relaxed);
  }

  uint32_t exclusive_slots() const noexcept { return exclusive_slots_; }
  size_t memory_bytes() const noexcept;

 private:
  // One multiply-add from (row, cell) to the cell: rows are whole lines, laid
  // end to end from a line boundary.
  std::atomic<uint64_t>& at(uint32_t row, uint32_t cell) const noexcept {
    return cells_[size_t{row} * cells_per_row_ + cell];
  }

  uint32_t exclusive_slots_;
  uint32_t cells_per_row_;  // whole lines
  LineAlignedCells storage_;
  std::atomic<uint64_t>* cells_;  // storage_.data()
};

}  // namespace nq::metrics
