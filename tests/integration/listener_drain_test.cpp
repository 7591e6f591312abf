// HttpListener::stop() over real loopback sockets: a request being answered
// when the listener stops gets its whole answer, however long it takes (up to
// the read timeout), and a connection that never sends a request does not
// hold the stop (or a hot reload, which stops the old copy's listener).
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "http/http_listener.hpp"
#include "nq/testing/http_client.hpp"

namespace {

using nq::metrics::ExpositionFormat;
using nq::metrics::HttpEndpoints;
using nq::metrics::HttpListener;
using nq::metrics::ListenAddress;
using nq::metrics::ListenerLimits;
using nq::metrics::WebConfig;
using nq::testing::http_get;
using nq::testing::TcpConnection;
using namespace std::chrono_literals;

constexpr auto kSlowRender = 1500ms;  // longer than the grace a silent connection gets

struct SlowListener {
  explicit SlowListener(uint32_t read_timeout_seconds) {
    ListenerLimits limits;
    limits.read_timeout_seconds = read_timeout_seconds;
    HttpEndpoints endpoints;
    endpoints.server_name = "nq-metrics/test";
    endpoints.render_metrics = [this](ExpositionFormat) {
      rendering.store(true);
      std::this_thread::sleep_for(kSlowRender);
      return std::string("slow_metric 1\n");
    };
    listener = std::make_unique<HttpListener>(
        ListenAddress{"127.0.0.1", 0}, limits, WebConfig{}, std::move(endpoints),
        std::make_shared<spdlog::logger>("drain", std::make_shared<spdlog::sinks::null_sink_mt>()));
    std::string error;
    started = listener->start(error);
    start_error = error;
  }
  uint16_t port() const { return listener->bound_address().port; }

  std::atomic<bool> rendering{false};
  std::unique_ptr<HttpListener> listener;
  bool started = false;
  std::string start_error;
};

TEST(ListenerDrain, ARequestBeingAnsweredWhenTheListenerStopsGetsItsWholeAnswer) {
  SlowListener slow(10);
  ASSERT_TRUE(slow.started) << slow.start_error;
  nq::testing::HttpReply reply;
  std::thread scraper([&] { reply = http_get("127.0.0.1", slow.port(), "/metrics"); });
  while (!slow.rendering.load()) std::this_thread::sleep_for(1ms);
  slow.listener->stop();
  scraper.join();
  EXPECT_EQ(reply.status, 200) << reply.error;
  EXPECT_EQ(reply.body, "slow_metric 1\n");
}

TEST(ListenerDrain, AConnectionThatSendsNothingDoesNotHoldTheStop) {
  SlowListener slow(60);  // the read timeout is not what ends the wait
  ASSERT_TRUE(slow.started) << slow.start_error;
  TcpConnection silent("127.0.0.1", slow.port());
  ASSERT_TRUE(silent.connected()) << silent.error();
  std::this_thread::sleep_for(100ms);  // accepted: the listener has its session
  const auto began = std::chrono::steady_clock::now();
  slow.listener->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 30s);
  silent.receive(1s);
  EXPECT_TRUE(silent.closed_by_server());
}

}  // namespace
