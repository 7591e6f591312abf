// What the test process holds right now, read from /proc/self: threads, open
// file descriptors, memory mappings. Used to prove a reload leaves nothing
// behind and that an unloaded copy of the plugin is really unmapped.
// Thread-safety: free functions, no shared state.
#pragma once

#include <cstddef>
#include <string>

namespace nq::testing {

size_t thread_count();
size_t open_fd_count();
size_t mapping_count();
// True when a line of /proc/self/maps names `name` (e.g. "/memfd:nq-plugin-42-3").
bool is_mapped(const std::string& name);

}  // namespace nq::testing
