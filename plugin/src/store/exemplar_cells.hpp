// A recent exemplar of each exemplar cell: a histogram bucket of a series,
// or a counter series, of the families that carry exemplars (a traced
// statement's trace context, its value and the engine's time of it).
//
// Each cell is a seqlock on its own cache line. A writer claims the cell by
// moving its sequence from even to odd with one compare-and-swap and gives up
// when another writer holds it (an exemplar is a sample: dropping one of two
// simultaneous ones loses nothing that was counted), or when the cell holds an
// exemplar dated less than 100 ms (engine time) before the new one. It writes
// the words with relaxed stores and releases the cell with the next even
// sequence. A reader
// retries a few times while the sequence is odd or changed under it.
//
// Thread-safety: record() is lock-free, allocation-free and system-call-free
// and may run on any number of threads; read() and clear() run on the scrape
// side, concurrently with record(). All memory is allocated in the
// constructor.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

namespace nq::metrics {

// A statement's trace context as the ABI carries it (trace_id all zero: none).
struct TraceContext {
  const uint8_t* trace_id;  // 16 bytes
  const uint8_t* span_id;   // 8 bytes
  uint64_t timestamp_ns;    // engine monotonic clock; 0: not given
};

inline bool is_traced(const uint8_t* trace_id) noexcept {
  uint64_t half[2];
  std::memcpy(half, trace_id, sizeof half);
  return (half[0] | half[1]) != 0;
}

// What read() copies out of a cell.
struct ExemplarRecord {
  uint8_t trace_id[16] = {};
  uint8_t span_id[8] = {};
  uint64_t value = 0;         // in the family's recorded unit (nanoseconds, or a count)
  uint64_t timestamp_ns = 0;  // engine monotonic clock; 0: not given
};

class ExemplarCells {
 public:
  explicit ExemplarCells(uint32_t cells)
      : cells_(cells), slots_(std::make_unique<Cell[]>(cells == 0 ? 1 : cells)) {}

  void record(uint32_t cell, const TraceContext& trace, uint64_t value) noexcept {
    Cell& c = slots_[cell];
    // A dated exemplar younger than kMinAgeToReplaceNs stays: the cell's line
    // is then only read, and threads that trace every statement do not
    // contend for it (a scrape keeps one exemplar per series anyway).
    if (trace.timestamp_ns != 0 &&
        trace.timestamp_ns - c.words[kTimestamp].load(std::memory_order_relaxed) <
            kMinAgeToReplaceNs) {
      return;
    }
    uint64_t seq = c.seq.load(std::memory_order_relaxed);
    if ((seq & 1) != 0 || !c.seq.compare_exchange_strong(seq, seq + 1, std::memory_order_relaxed)) {
      return;  // another writer holds the cell
    }
    std::atomic_thread_fence(std::memory_order_release);
    uint64_t words[kWords];
    std::memcpy(words, trace.trace_id, 16);
    std::memcpy(words + 2, trace.span_id, 8);
    words[3] = value;
    words[kTimestamp] = trace.timestamp_ns;
    for (size_t i = 0; i < kWords; ++i) c.words[i].store(words[i], std::memory_order_relaxed);
    c.seq.store(seq + 2, std::memory_order_release);
  }

  // Copies the cell's exemplar to `out`; false when it holds none (or stayed
  // busy while read).
  bool read(uint32_t cell, ExemplarRecord& out) const noexcept {
    const Cell& c = slots_[cell];
    for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
      const uint64_t before = c.seq.load(std::memory_order_acquire);
      if ((before & 1) != 0) continue;
      uint64_t words[kWords];
      for (size_t i = 0; i < kWords; ++i) words[i] = c.words[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (c.seq.load(std::memory_order_relaxed) != before) continue;
      if ((words[0] | words[1]) == 0) return false;  // never written, or cleared
      std::memcpy(out.trace_id, words, 16);
      std::memcpy(out.span_id, words + 2, 8);
      out.value = words[3];
      out.timestamp_ns = words[kTimestamp];
      return true;
    }
    return false;
  }

  // Empties the cell (its series changed hands). A record() racing with it
  // may win; the exemplar it leaves is a recent one either way.
  void clear(uint32_t cell) noexcept {
    const uint8_t none[16] = {};
    record(cell, {none, none, 0}, 0);
  }

  uint32_t size() const noexcept { return cells_; }
  size_t memory_bytes() const noexcept { return size_t{cells_} * sizeof(Cell); }

 private:
  static constexpr size_t kWords = 5;  // trace id (2), span id, value, timestamp
  static constexpr size_t kTimestamp = 4;
  static constexpr uint64_t kMinAgeToReplaceNs = 100'000'000;  // 100 ms
  static constexpr int kReadAttempts = 4;
  struct alignas(64) Cell {
    std::atomic<uint64_t> seq{0};
    std::atomic<uint64_t> words[kWords] = {};
  };

  uint32_t cells_;
  std::unique_ptr<Cell[]> slots_;
};

}  // namespace nq::metrics
