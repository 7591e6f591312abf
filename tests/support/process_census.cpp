#include "process_census.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace nq::testing {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(20);
constexpr int kMaxPolls = 250;  // 5 s

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

size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

size_t plugin_mapping_count() {
  std::ifstream maps("/proc/self/maps");
  size_t n = 0;
  for (std::string line; std::getline(maps, line);) {
    if (line.find("/memfd:nq-plugin-") != std::string::npos) ++n;
  }
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

size_t settled(size_t (*count)()) {
  size_t last = count();
  for (int i = 0; i < kMaxPolls; ++i) {
    std::this_thread::sleep_for(kPollInterval);
    const size_t now = count();
    if (now == last) return now;
    last = now;
  }
  return last;
}

size_t back_to(size_t (*count)(), size_t baseline) {
  size_t now = count();
  for (int i = 0; i < kMaxPolls && now > baseline; ++i) {
    std::this_thread::sleep_for(kPollInterval);
    now = count();
  }
  return now;
}

}  // namespace nq::testing
