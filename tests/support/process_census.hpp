// What the test process holds right now, read from /proc/self: threads, open
// file descriptors, mapped copies of the plugin. Used to prove a reload leaves
// nothing behind and that an unloaded copy of the plugin is really unmapped.
// Thread-safety: free functions, no shared state.
#pragma once

#include <cstddef>
#include <string>

namespace nq::testing {

size_t thread_count();
size_t open_fd_count();
// VmRSS in KiB.
size_t resident_kib();
// Mappings of private plugin copies ("/memfd:nq-plugin-…"); unlike the total
// count this does not move with the allocator or a sanitizer's shadow memory.
size_t plugin_mapping_count();
// True when a line of /proc/self/maps names `name` (e.g. "/memfd:nq-plugin-42-3").
bool is_mapped(const std::string& name);

// A count once it holds still: sockets the listener closes a moment after the
// client, or a thread on its way out, are not counted at a bad instant.
size_t settled(size_t (*count)());
// Waits (up to 5 s) for `count` to come back to `baseline` or below and
// returns the last value read.
size_t back_to(size_t (*count)(), size_t baseline);

}  // namespace nq::testing
