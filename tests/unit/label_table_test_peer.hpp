// Test access to a LabelTable's slots: what no public call can do on one
// thread, a key held by two slots at once (two inserts that raced, see
// label_table.hpp), made on purpose.
//
// Thread-safety: for tests on one thread, with nothing else using the table.
#pragma once

#include <cstdint>
#include <string_view>

#include "store/label_table.hpp"
#include "store/label_value.hpp"

namespace nq::metrics {

struct LabelTableTestPeer {
  // The first slot of `key`'s probe window.
  static uint32_t home_slot(const LabelTable& table, std::string_view key) {
    return table.home_slot(hash_bytes(key));
  }
  // Copies live slot `from` (an inline key) into free slot `to`: afterwards
  // both hold the key, as after two racing inserts.
  static void copy_slot(LabelTable& table, uint32_t from, uint32_t to) {
    for (uint32_t w = 0; w < table.words_per_slot_; ++w) {
      const uint64_t word = table.words_[size_t{from} * table.words_per_slot_ + w].load();
      table.words_[size_t{to} * table.words_per_slot_ + w].store(word);
    }
    table.live_.fetch_add(1);
  }
};

}  // namespace nq::metrics
