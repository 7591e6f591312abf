// Zeroed 64-bit atomic cells, the first on a cache-line boundary, so that rows
// of a whole number of lines laid end to end never share a line.
//
// Thread-safety: immutable after construction; the cells themselves are
// atomics, used as their owner (CellArena, LabelCache) says.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace nq::metrics {

class LineAlignedCells {
 public:
  static constexpr uint32_t kCellsPerLine = 8;  // 64-byte lines

  // `cells` rounded up to whole lines.
  static uint32_t whole_lines(uint64_t cells) noexcept {
    return static_cast<uint32_t>((cells + kCellsPerLine - 1) / kCellsPerLine * kCellsPerLine);
  }

  explicit LineAlignedCells(size_t cells)
      // std::atomic value-initializes (to 0) since C++20; one line more to align.
      : allocated_(cells + kCellsPerLine),
        storage_(std::make_unique<std::atomic<uint64_t>[]>(allocated_)) {
    const auto address = reinterpret_cast<uintptr_t>(storage_.get());
    first_ = storage_.get() + (kLineBytes - address % kLineBytes) % kLineBytes / kCellBytes;
  }

  std::atomic<uint64_t>* data() const noexcept { return first_; }
  size_t memory_bytes() const noexcept { return allocated_ * kCellBytes; }

 private:
  static constexpr size_t kCellBytes = sizeof(std::atomic<uint64_t>);
  static constexpr size_t kLineBytes = kCellsPerLine * kCellBytes;

  size_t allocated_;
  std::unique_ptr<std::atomic<uint64_t>[]> storage_;
  std::atomic<uint64_t>* first_;
};

}  // namespace nq::metrics
