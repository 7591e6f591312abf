// The plugin's HTTP listener limits, over real loopback sockets against the
// real plugin: sizes (414, 431), bodies (413), the connection limit (the
// oldest connection waiting for a request head is evicted; 503 when none
// is), the header timeout against slow and silent clients (slowloris) and the
// keep-alive idle timeout, each with short settings so that the tests take
// seconds. Each outcome is also read from the listener's self-metrics.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nq/nq_host.h"
#include "nq/testing/exposition_samples.hpp"
#include "nq/testing/http_client.hpp"
#include "test_engine.hpp"

namespace {

using nq::testing::http_exchange;
using nq::testing::http_get;
using nq::testing::parse_reply;
using nq::testing::TcpConnection;
using nq::testing::TestEngine;
using namespace std::chrono_literals;

constexpr uint32_t kMaxConnections = 12;

class HttpLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.settings["listen"] = "127.0.0.1:0";
    engine_.settings["http_max_connections"] = std::to_string(kMaxConnections);
    engine_.settings["http_max_header_bytes"] = "1024";
    engine_.settings["http_max_request_line_bytes"] = "256";
    engine_.settings["http_header_timeout_seconds"] = "1";
    engine_.settings["http_read_timeout_seconds"] = "1";
    engine_.settings["http_idle_timeout_seconds"] = "1";
    configure();
    host_ = engine_.create_host();
    ASSERT_NE(host_, nullptr);
    char err[512] = {};
    ASSERT_EQ(nq_host_load(host_, NQ_PLUGIN_PATH, err, sizeof err), NQ_OK) << err;
    port_ = engine_.metrics_port();
  }
  void TearDown() override { nq_host_destroy(host_); }
  // Settings of a test's own beyond the short limits above.
  virtual void configure() {}

  // A sample of a fresh scrape (nullopt when the scrape or the sample fails).
  std::optional<double> metric(std::string_view name,
                               const std::map<std::string, std::string>& labels) {
    const auto reply = http_get("127.0.0.1", port_, "/metrics");
    std::string error;
    const auto samples = nq::testing::parse_exposition(reply.body, error);
    if (reply.status != 200 || !samples) return std::nullopt;
    return nq::testing::value_of(*samples, name, labels);
  }

  int status_of(const std::string& request_head) {
    return http_exchange("127.0.0.1", port_, request_head).status;
  }

  TestEngine engine_;
  nq_host* host_ = nullptr;
  uint16_t port_ = 0;
};

TEST_F(HttpLimits, OversizedOrUnexpectedRequestsGetTheirStatusAndServingGoesOn) {
  EXPECT_EQ(status_of("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(2000, 'a')), 431);
  EXPECT_EQ(status_of("GET /" + std::string(300, 'p') + " HTTP/1.1\r\nHost: x"), 414);
  EXPECT_EQ(status_of("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"), 413);
  EXPECT_EQ(status_of("DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close"), 405);
  EXPECT_EQ(status_of("GET /admin HTTP/1.1\r\nHost: x\r\nConnection: close"), 404);
  EXPECT_EQ(http_get("127.0.0.1", port_, "/metrics").status, 200);
}

TEST_F(HttpLimits, KeepAliveServesSeveralRequestsThenClosesWhenIdle) {
  TcpConnection c("127.0.0.1", port_);
  ASSERT_TRUE(c.connected()) << c.error();
  auto last_request = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    last_request = std::chrono::steady_clock::now();
    ASSERT_TRUE(c.send("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string reply = c.receive(300ms);  // the reply, connection kept open
    EXPECT_EQ(parse_reply(reply).status, 200) << reply;
    EXPECT_FALSE(c.closed_by_server());
  }
  c.receive(5s);
  EXPECT_TRUE(c.closed_by_server());
  const auto idle = std::chrono::steady_clock::now() - last_request;
  EXPECT_GE(idle, 900ms);  // the 1 s idle timeout after the last answer, not before
  EXPECT_LE(idle, 3s);
}

TEST_F(HttpLimits, AtTheLimitTheOldestConnectionWaitingForItsHeadMakesRoom) {
  std::vector<std::unique_ptr<TcpConnection>> held;
  for (uint32_t i = 0; i < kMaxConnections; ++i) {
    held.push_back(std::make_unique<TcpConnection>("127.0.0.1", port_));
    ASSERT_TRUE(held.back()->connected()) << held.back()->error();
    held.back()->send("GET /metrics HTTP/1.1\r\n");  // a head never finished
  }
  std::this_thread::sleep_for(100ms);  // all accepted: the listener counts them
  const auto scrape = http_get("127.0.0.1", port_, "/metrics");
  ASSERT_EQ(scrape.status, 200) << scrape.error;
  held.front()->receive(500ms);
  EXPECT_TRUE(held.front()->closed_by_server()) << "the oldest one made room";
  for (size_t i = 1; i < held.size(); ++i) {
    held[i]->receive(1ms);
    EXPECT_FALSE(held[i]->closed_by_server()) << "connection " << i << " was not the oldest";
  }
  held.clear();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(metric("neuroquantum_plugin_http_connections_closed_total", {{"reason", "evicted"}}),
            1);
}

// Connections that are not waiting for a request head: each was answered
// with Connection: close, and its client keeps the socket open, so the
// listener holds it in its lingering close (up to the read timeout, here 5 s).
class HttpLimitsBusy : public HttpLimits {
 protected:
  void configure() override { engine_.settings["http_read_timeout_seconds"] = "5"; }
};

TEST_F(HttpLimitsBusy, AtTheLimitWithNoneWaitingANewConnectionIs503) {
  std::vector<std::unique_ptr<TcpConnection>> closing;
  for (uint32_t i = 0; i < kMaxConnections; ++i) {
    closing.push_back(std::make_unique<TcpConnection>("127.0.0.1", port_));
    ASSERT_TRUE(closing.back()->connected()) << closing.back()->error();
    closing.back()->send("GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string reply = closing.back()->receive(2s);
    ASSERT_EQ(parse_reply(reply).status, 200) << reply;
    ASSERT_TRUE(closing.back()->closed_by_server());
  }
  const auto refused = http_get("127.0.0.1", port_, "/metrics");
  EXPECT_EQ(refused.status, 503) << refused.error;
  EXPECT_NE(refused.headers.find("Retry-After: 1"), std::string::npos);
  closing.clear();  // clients go away
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(metric("neuroquantum_plugin_http_connections_closed_total", {{"reason", "limit"}}), 1);
  EXPECT_EQ(metric("neuroquantum_plugin_http_responses_total", {{"code", "503"}}), 1);
}

TEST_F(HttpLimits, SlowClientsAreCutOffWhileNormalScrapesSucceed) {
  // Slowloris: connections that send one byte of a request every 200 ms.
  constexpr int kSlowClients = 8;  // below the connection limit
  std::vector<std::unique_ptr<TcpConnection>> slow;
  for (int i = 0; i < kSlowClients; ++i) {
    slow.push_back(std::make_unique<TcpConnection>("127.0.0.1", port_));
    ASSERT_TRUE(slow.back()->connected()) << slow.back()->error();
  }
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Filler: abcdefghijkl\r\n";
  const auto began = std::chrono::steady_clock::now();
  int scrapes_ok = 0;
  size_t sent = 0;
  bool all_cut = false;
  while (!all_cut && std::chrono::steady_clock::now() - began < 5s) {
    for (auto& c : slow) c->send(request.substr(sent % request.size(), 1));
    ++sent;
    if (http_get("127.0.0.1", port_, "/metrics").status == 200) ++scrapes_ok;
    all_cut = true;
    for (auto& c : slow) {
      const std::string got = c->receive(1ms);
      EXPECT_EQ(got.find("200 OK"), std::string::npos) << "a slow request was served";
      all_cut = all_cut && c->closed_by_server();
    }
    std::this_thread::sleep_for(200ms);
  }
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_TRUE(all_cut) << "slow clients still connected after 5 s";
  EXPECT_LE(took, 3s) << "the read timeout is 1 s";
  EXPECT_GE(scrapes_ok, 3) << "normal scrapes failed while slow clients were connected";
  EXPECT_EQ(http_get("127.0.0.1", port_, "/metrics").status, 200);
}

}  // namespace
