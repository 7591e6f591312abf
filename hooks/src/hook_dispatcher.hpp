// Lock-free publication of a plugin's hook table, and waiting until no thread
// is inside a table that was taken down.
//
// Thread-safety: dispatch() may run on any number of threads concurrently with
// publish()/retire(). publish() and retire() must be serialized by the caller
// (the host's lifecycle mutex). A Binding passed to publish() must stay valid
// until retire() has returned true for it.
//
// How waiting works (a two-phase, sharded reader count as in SRCU): a caller
// counts itself in the active[] cell of its thread slot for the current epoch
// parity before it reads the table pointer, and out after the hook returns.
// retire() unpublishes the table and flips the epoch twice, each time waiting
// for the previous parity to drain; new callers count into the other parity,
// so a steady stream of calls cannot starve it.
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
    const nq_thread_slot slot = current_thread_slot(thread_slots_);
    ReaderCell& cell = readers_[slot == NQ_THREAD_SLOT_SHARED ? thread_slots_ : slot];
    const uint32_t parity = epoch_.load(std::memory_order_seq_cst) & 1u;
    cell.active[parity].fetch_add(1, std::memory_order_seq_cst);
    if (const Binding* binding = current_.load(std::memory_order_seq_cst)) {
      (binding->hooks.*Hook)(binding->instance, slot, event);
    }
    cell.active[parity].fetch_sub(1, std::memory_order_release);
  }

  void publish(const Binding* binding) noexcept;

  // Unpublishes the current table and waits up to `timeout` until no thread
  // is inside it. Returns false on timeout (a thread is still inside).
  bool retire(std::chrono::nanoseconds timeout) noexcept;

 private:
  struct alignas(64) ReaderCell {
    std::atomic<uint64_t> active[2] = {0, 0};
  };

  bool wait_for_parity(uint32_t parity, std::chrono::steady_clock::time_point deadline) noexcept;

  const uint32_t thread_slots_;
  std::atomic<const Binding*> current_{nullptr};
  std::atomic<uint32_t> epoch_{0};
  std::unique_ptr<ReaderCell[]> readers_;  // thread_slots_ exclusive cells + 1 shared
};

}  // namespace nq::host::detail
