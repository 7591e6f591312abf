// Building blocks of the mock engine's hook events, shared by the workload,
// the background activity and the fault profiles: the random draws they are
// filled with, and nq::make_event (an event with its struct_size set).
//
// Thread-safety: pure functions; a generator is used by one thread at a time.
#pragma once

#include <cstdint>
#include <random>

#include "nq/nq_abi_cpp.hpp"

namespace nq::mock {

// A uniform draw in [lo, hi].
inline uint64_t between(std::mt19937_64& rng, uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

// True with probability p.
inline bool chance(std::mt19937_64& rng, double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < p;
}

}  // namespace nq::mock
