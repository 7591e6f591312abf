#include "hook_dispatcher.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <thread>

namespace nq::host::detail {
namespace {

template <class Event>
void ignore_event(nq_plugin_instance*, nq_thread_slot, const Event*) noexcept {}

// True when a hook table of `struct_size` bytes contains the field at `offset`.
constexpr bool covers(uint32_t struct_size, size_t offset, size_t field_size) {
  return offset + field_size <= struct_size;
}

int membarrier(int command) noexcept {
  return static_cast<int>(syscall(__NR_membarrier, command, 0, 0));
}

// Registers the process for expedited private membarriers; false when the
// kernel (or a seccomp policy) does not offer them.
bool can_use_membarrier() noexcept {
#if defined(__SANITIZE_THREAD__)
  return false;  // ThreadSanitizer cannot see the barrier a membarrier implies
#else
  const int supported = membarrier(MEMBARRIER_CMD_QUERY);
  return supported > 0 && (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
         membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
#endif
}

}  // namespace

Binding make_binding(const nq_hook_table& plugin_hooks, nq_plugin_instance* instance) noexcept {
  Binding binding{};
  binding.hooks.struct_size = sizeof(nq_hook_table);
  binding.instance = instance;
#define NQ_HOST_BIND_HOOK(name, event_type, doc)                                       \
  binding.hooks.name = covers(plugin_hooks.struct_size, offsetof(nq_hook_table, name), \
                              sizeof(plugin_hooks.name)) &&                            \
                               plugin_hooks.name != nullptr                            \
                           ? plugin_hooks.name                                         \
                           : &ignore_event<event_type>;
  NQ_HOOK_LIST(NQ_HOST_BIND_HOOK)
#undef NQ_HOST_BIND_HOOK
  return binding;
}

HookDispatcher::HookDispatcher(uint32_t thread_slots)
    : thread_slots_(thread_slots),
      light_readers_(can_use_membarrier()),
      light_slots_(light_readers_ ? thread_slots : 0),
      readers_(new ReaderCell[thread_slots + 1]) {}

void HookDispatcher::publish(const Binding* binding) noexcept {
  current_.store(binding, std::memory_order_seq_cst);
}

void HookDispatcher::heavy_barrier() noexcept {
  if (light_readers_) membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

bool HookDispatcher::replace(const Binding* next, std::chrono::nanoseconds timeout) noexcept {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  current_.store(next, std::memory_order_seq_cst);
  for (int phase = 0; phase < 2; ++phase) {
    heavy_barrier();  // callers' counts and table loads are ordered against ours
    const uint32_t drained = epoch_.fetch_add(1, std::memory_order_seq_cst) & 1u;
    heavy_barrier();
    if (!wait_for_parity(drained, deadline)) return false;
  }
  heavy_barrier();
  return true;
}

bool HookDispatcher::wait_for_parity(uint32_t parity,
                                     std::chrono::steady_clock::time_point deadline) noexcept {
  for (uint32_t spins = 0;; ++spins) {
    uint64_t inside = 0;
    for (uint32_t i = 0; i <= thread_slots_; ++i) {
      inside += readers_[i].active[parity].load(std::memory_order_seq_cst);
    }
    if (inside == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (spins < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
}

}  // namespace nq::host::detail
