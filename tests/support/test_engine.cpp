#include "test_engine.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "nq/testing/http_client.hpp"

namespace nq::testing {

TestEngine::TestEngine() {
  services_.struct_size = sizeof services_;
  services_.abi_version = NQ_ABI_VERSION;
  services_.engine_context = this;
  services_.thread_slots = 8;
  services_.log = &TestEngine::log;
  services_.monotonic_ns = &TestEngine::monotonic_ns;
  services_.config_lookup = &TestEngine::config_lookup;
}

void TestEngine::log(void* self, nq_log_level level, nq_str message) {
  auto* engine = static_cast<TestEngine*>(self);
  std::lock_guard lock(engine->mutex_);
  // The newest lines only: a soak of thousands of reloads must not measure
  // the test's own log.
  if (engine->lines_.size() >= kKeptLogLines) {
    engine->lines_.erase(engine->lines_.begin(), engine->lines_.begin() + kKeptLogLines / 2);
  }
  engine->lines_.push_back(std::to_string(level) + " " + std::string(message.data, message.len));
}

uint64_t TestEngine::monotonic_ns(void*) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

int64_t TestEngine::config_lookup(void* self, nq_str key, char* value, size_t value_cap) {
  auto* engine = static_cast<TestEngine*>(self);
  const auto it = engine->settings.find(std::string(key.data, key.len));
  if (it == engine->settings.end()) return -1;
  std::memcpy(value, it->second.data(), std::min(value_cap, it->second.size()));
  return static_cast<int64_t>(it->second.size());
}

nq_host* TestEngine::create_host(uint32_t thread_slots) const {
  nq_host_options options{};
  options.struct_size = sizeof options;
  options.thread_slots = thread_slots;
  options.services = &services_;
  return nq_host_create(&options);
}

std::vector<std::string> TestEngine::log_lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::optional<std::string> TestEngine::wait_for_log(const std::string& needle,
                                                    std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    for (const std::string& line : log_lines()) {
      if (line.find(needle) != std::string::npos) return line;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

uint16_t TestEngine::metrics_port(std::chrono::milliseconds timeout) const {
  const auto line = wait_for_log("serving http://", timeout);
  return line ? serving_port(*line) : 0;
}

uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace nq::testing
