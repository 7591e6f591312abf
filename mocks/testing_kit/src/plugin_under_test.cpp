#include "nq/testing/plugin_under_test.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>

#include "nq/testing/http_client.hpp"

namespace nq::testing {

using ::testing::_;
using ::testing::Invoke;

namespace {

// Calls nq_host_load or nq_host_reload; on failure sets `error` to the host
// runtime's message.
bool call_host(nq_status (*call)(nq_host*, const char*, char*, size_t), nq_host* host,
               const std::string& plugin_path, std::string& error) {
  char err[1024] = {};
  if (call(host, plugin_path.c_str(), err, sizeof err) == NQ_OK) return true;
  error = err;
  return false;
}

}  // namespace

PluginUnderTest::PluginUnderTest(std::map<std::string, std::string> settings, uint32_t thread_slots)
    : settings_(std::move(settings)), engine_(thread_slots) {
  settings_.try_emplace("listen", "127.0.0.1:0");
  ON_CALL(engine_, MonotonicNs()).WillByDefault(Invoke([this] { return clock_ns_.load(); }));
  ON_CALL(engine_, ConfigLookup(_))
      .WillByDefault(Invoke([this](const std::string& key) -> std::optional<std::string> {
        const auto it = settings_.find(key);
        if (it == settings_.end()) return std::nullopt;
        return it->second;
      }));
  ON_CALL(engine_, Log(_, _))
      .WillByDefault(Invoke([this](nq_log_level level, const std::string& message) {
        std::lock_guard lock(log_mutex_);
        log_.push_back(std::to_string(level) + " " + message);
      }));
  nq_host_options options{};
  options.struct_size = sizeof options;
  options.thread_slots = thread_slots;
  options.services = &engine_.services();
  host_ = nq_host_create(&options);
}

PluginUnderTest::~PluginUnderTest() {
  nq_host_destroy(host_);
}

bool PluginUnderTest::load(const std::string& plugin_path, std::string& error) {
  return call_host(nq_host_load, host_, plugin_path, error);
}

bool PluginUnderTest::load_mock(HookReceiver& receiver, const std::string& mock_plugin_path,
                                std::string& error) {
  char address[32];
  const auto end =
      std::to_chars(address, address + sizeof address, reinterpret_cast<uintptr_t>(&receiver), 16)
          .ptr;
  settings_[kMockPluginTargetSetting] = std::string(address, end);
  return load(mock_plugin_path, error);
}

bool PluginUnderTest::reload(const std::string& plugin_path, std::string& error) {
  return call_host(nq_host_reload, host_, plugin_path, error);
}

void PluginUnderTest::unload() {
  nq_host_unload(host_);
}

std::vector<std::string> PluginUnderTest::log_lines() const {
  std::lock_guard lock(log_mutex_);
  return log_;
}

uint16_t PluginUnderTest::port() const {
  const auto lines = log_lines();
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (const uint16_t p = serving_port(*it); p != 0) return p;
  }
  return 0;
}

Samples PluginUnderTest::scrape(const std::string& path) {
  const uint16_t p = port();
  if (p == 0) {
    ADD_FAILURE() << "the plugin logged no \"serving http://HOST:PORT\" line";
    return {};
  }
  const HttpReply reply = http_get("127.0.0.1", p, path);
  if (reply.status != 200) {
    ADD_FAILURE() << "GET " << path << ": status " << reply.status << " " << reply.error;
    return {};
  }
  std::string error;
  auto samples = parse_exposition(reply.body, error);
  if (!samples) {
    ADD_FAILURE() << "malformed exposition at " << error;
    return {};
  }
  return *samples;
}

}  // namespace nq::testing
