// Lock-free publication of a plugin's hook table, and waiting until no thread
// is inside a table that was taken down.
//
// Thread-safety: dispatch() may run on any number of threads concurrently with
// publish()/replace(). publish() and replace() must be serialized by the caller
// (the host's lifecycle mutex). A published Binding must stay valid until a
// replace() of it has returned true.
//
// How waiting works (a two-phase, sharded reader count as in SRCU): a caller
// counts itself in the active[] cell of its thread slot for the current epoch
// parity before it reads the table pointer, and out after the hook returns.
// replace() swaps the table and flips the epoch twice, each time waiting
// for the previous parity to drain; new callers count into the other parity,
// so a steady stream of calls cannot starve it.
//
// The fast path has no locked instruction: a caller on an exclusive thread
// slot is the only writer of its cell, so it counts itself with a plain store
// followed by a compiler-only barrier, and replace() makes up for the missing
// CPU barriers with membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which runs a
// full barrier on every CPU running one of our threads (the asymmetric fence
// of liburcu's "memb" flavour). Where membarrier is unavailable (old kernel,
// seccomp) or under ThreadSanitizer, callers use atomic read-modify-writes,
// as do callers on the shared slot and a thread's first call (which claims
// its slot).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "nq/nq_plugin_abi.h"
#include "thread_slots.hpp"

namespace nq::host::detail {

// A plugin's hooks as the host calls them: never NULL (missing hooks are no-ops).
struct Binding {
  nq_hook_table hooks;
  nq_plugin_instance* instance;
};

// Copies the plugin's table, reading only the fields its struct_size covers,
// and fills every missing or NULL hook with a no-op.
Binding make_binding(const nq_hook_table& plugin_hooks, nq_plugin_instance* instance) noexcept;

class HookDispatcher {
 public:
  explicit HookDispatcher(uint32_t thread_slots);

  template <auto Hook, class Event>
  void dispatch(const Event* event) noexcept {
    if (current_.load(std::memory_order_relaxed) == nullptr) return;  // no plugin: no-op
    // One compare sends every other caller to dispatch_counted(): a thread's
    // first call (slot unclaimed), a shared slot, or no membarrier
    // (light_slots_ is then 0).
    const uint32_t slot = t_thread_slot;
    if (slot >= light_slots_) return dispatch_counted<Hook>(event);
    std::atomic<uint64_t>& active =
        readers_[slot].active[epoch_.load(std::memory_order_relaxed) & 1u];
    const uint64_t outside = active.load(std::memory_order_relaxed);
    active.store(outside + 1, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);  // pairs with replace()'s membarrier
    if (const Binding* binding = current_.load(std::memory_order_relaxed)) {
      (binding->hooks.*Hook)(binding->instance, slot, event);
    }
    active.store(outside, std::memory_order_release);
  }

  void publish(const Binding* binding) noexcept;

  // Publishes `next` (nullptr: none) in place of the current table and waits
  // up to `timeout` until no thread is inside the one it replaced. Returns
  // false on timeout (a thread is still inside).
  bool replace(const Binding* next, std::chrono::nanoseconds timeout) noexcept;

  // True when callers on exclusive slots take the barrier-free path.
  bool light_readers() const noexcept { return light_readers_; }

 private:
  struct alignas(64) ReaderCell {
    std::atomic<uint64_t> active[2] = {0, 0};
  };

  // The caller counts itself with atomic read-modify-writes (out of line, so
  // that the light path stays small).
  template <auto Hook, class Event>
  [[gnu::noinline]] void dispatch_counted(const Event* event) noexcept {
    const nq_thread_slot slot = current_thread_slot(thread_slots_);
    ReaderCell& cell = readers_[slot == NQ_THREAD_SLOT_SHARED ? thread_slots_ : slot];
    const uint32_t parity = epoch_.load(std::memory_order_seq_cst) & 1u;
    cell.active[parity].fetch_add(1, std::memory_order_seq_cst);
    if (const Binding* binding = current_.load(std::memory_order_seq_cst)) {
      (binding->hooks.*Hook)(binding->instance, slot, event);
    }
    cell.active[parity].fetch_sub(1, std::memory_order_release);
  }

  bool wait_for_parity(uint32_t parity, std::chrono::steady_clock::time_point deadline) noexcept;
  void heavy_barrier() noexcept;  // a full barrier on every thread of the process

  const uint32_t thread_slots_;
  const bool light_readers_;
  const uint32_t light_slots_;  // slots below it take the light path: thread_slots_, or 0
  std::atomic<const Binding*> current_{nullptr};
  std::atomic<uint32_t> epoch_{0};
  std::unique_ptr<ReaderCell[]> readers_;  // thread_slots_ exclusive cells + 1 shared
};

}  // namespace nq::host::detail
