#include "process_census.hpp"

#include <filesystem>
#include <fstream>

namespace nq::testing {
namespace {

size_t entries(const char* dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

size_t thread_count() {
  return entries("/proc/self/task");
}

size_t open_fd_count() {
  return entries("/proc/self/fd");
}

size_t mapping_count() {
  std::ifstream maps("/proc/self/maps");
  size_t n = 0;
  for (std::string line; std::getline(maps, line);) ++n;
  return n;
}

bool is_mapped(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    // The name ends the line, or is followed by " (deleted)".
    const auto at = line.find(name);
    if (at != std::string::npos &&
        (at + name.size() == line.size() || line[at + name.size()] == ' ')) {
      return true;
    }
  }
  return false;
}

}  // namespace nq::testing
