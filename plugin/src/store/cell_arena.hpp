// Thread-owned 64-bit counter cells, summed at scrape time.
//
// The arena holds one row of cells per exclusive thread slot plus one shared
// row. A hook call on exclusive slot s is the only writer of row s, so it adds
// without a lock prefix (owned_cell.hpp: no contention); a call without an
// exclusive slot (NQ_THREAD_SLOT_SHARED, or a slot past the arena) adds to the
// shared row with an atomic fetch_add. Either way no increment is lost.
// Rows start on their own cache lines so threads never share a line.
//
// Thread-safety: add() (and a Row's) is wait-free and may run concurrently
// with sum() on any thread; a Row of an exclusive slot is used by that slot's
// thread only. All memory is allocated in the constructor; add() never
// allocates, locks or makes a system call. Gauges that go up and down store two's
// complement deltas; the sum wraps back to the signed value.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "nq/nq_plugin_abi.h"
#include "store/line_aligned_cells.hpp"
#include "store/owned_cell.hpp"

namespace nq::metrics {

class CellArena {
 public:
  CellArena(uint32_t cells, uint32_t exclusive_slots);

  // A row with its kind known at compile time (owned_row(), shared_row()):
  // an event that makes many adds tests the kind once (MetricStore::with_rows()).
  template <bool Owned>
  class TypedRow {
   public:
    explicit TypedRow(std::atomic<uint64_t>* cells) noexcept : cells_(cells) {}
    void add(uint32_t cell, uint64_t n) const noexcept {
      std::atomic<uint64_t>& c = cells_[cell];
      if constexpr (Owned) {
        add_owned_relaxed(c, n);
      } else {
        c.fetch_add(n, std::memory_order_relaxed);
      }
    }

   private:
    std::atomic<uint64_t>* cells_;
  };
  // Exclusive slot `slot`'s row (slot < exclusive_slots()), and the shared one.
  TypedRow<true> owned_row(nq_thread_slot slot) const noexcept {
    return TypedRow<true>(&at(slot, 0));
  }
  TypedRow<false> shared_row() const noexcept { return TypedRow<false>(&at(exclusive_slots_, 0)); }

  // The row a caller adds to: its exclusive slot's (no lock prefix) or
  // the shared one (atomic add), the kind tested on each add. Taken once for
  // several adds, it spares each of them reading the arena's fields again.
  class Row {
   public:
    void add(uint32_t cell, uint64_t n) const noexcept {
      if (owned_) {
        TypedRow<true>(cells_).add(cell, n);
      } else {
        TypedRow<false>(cells_).add(cell, n);
      }
    }

   private:
    friend class CellArena;
    Row(std::atomic<uint64_t>* cells, bool owned) noexcept : cells_(cells), owned_(owned) {}
    std::atomic<uint64_t>* cells_;
    bool owned_;
  };

  Row row(nq_thread_slot slot) const noexcept {
    return slot < exclusive_slots_ ? Row(&at(slot, 0), true) : Row(&at(exclusive_slots_, 0), false);
  }
  void add(nq_thread_slot slot, uint32_t cell, uint64_t n) noexcept { row(slot).add(cell, n); }

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
