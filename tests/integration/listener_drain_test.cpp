// HttpListener over real loopback sockets. stop(): a request on its way when
// the listener stops gets its whole answer, however long it takes (within the
// read timeout), and a connection that never sends a request does not hold
// the stop (nor a hot reload, which stops the old copy's listener). Its
// serving threads: one whose handler throws serves on.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "http/http_listener.hpp"
#include "nq/testing/http_client.hpp"

namespace {

using nq::metrics::BodySink;
using nq::metrics::ExpositionFormat;
using nq::metrics::HttpEndpoints;
using nq::metrics::HttpListener;
using nq::metrics::ListenAddress;
using nq::metrics::ListenerLimits;
using nq::metrics::WebConfig;
using nq::testing::TcpConnection;
using namespace std::chrono_literals;

// Longer than the grace stop() gives a connection that sent nothing.
constexpr auto kLongerThanTheGrace = 1500ms;

struct Listener {
  explicit Listener(uint32_t read_timeout_seconds, uint32_t threads = ListenerLimits{}.threads,
                    std::function<void(unsigned)> on_response = {}) {
    ListenerLimits limits;
    limits.read_timeout_seconds = read_timeout_seconds;
    limits.threads = threads;
    HttpEndpoints endpoints;
    endpoints.on_response = std::move(on_response);
    endpoints.server_name = "nq-metrics/test";
    endpoints.render_metrics = [](ExpositionFormat, const BodySink& sink) {
      std::string body = "a_metric 1\n";
      sink.take(body);
    };
    listener = std::make_unique<HttpListener>(
        ListenAddress{"127.0.0.1", 0}, limits, WebConfig{}, std::move(endpoints),
        std::make_shared<spdlog::logger>("drain", std::make_shared<spdlog::sinks::null_sink_mt>()));
    std::string error;
    started = listener->start(error);
    start_error = error;
  }
  uint16_t port() const { return listener->bound_address().port; }

  std::unique_ptr<HttpListener> listener;
  bool started = false;
  std::string start_error;
};

TEST(ListenerDrain, ARequestArrivingSlowlyWhileTheListenerStopsGetsItsWholeAnswer) {
  Listener listener(10);
  ASSERT_TRUE(listener.started) << listener.start_error;
  auto client = std::make_unique<TcpConnection>("127.0.0.1", listener.port());
  ASSERT_TRUE(client->connected()) << client->error();
  ASSERT_TRUE(client->send("GET /metrics HTTP/1.1\r\nHost: drain\r\n"));
  std::this_thread::sleep_for(300ms);  // accepted, its request begun
  std::thread stopping([&] { listener.listener->stop(); });
  std::this_thread::sleep_for(kLongerThanTheGrace);
  EXPECT_TRUE(client->send("Connection: close\r\n\r\n"));
  const auto reply = nq::testing::parse_reply(client->receive(10s));
  client.reset();  // the listener's lingering close ends when the client closes
  stopping.join();
  EXPECT_EQ(reply.status, 200) << reply.error;
  EXPECT_EQ(reply.body, "a_metric 1\n");
}

TEST(ListenerDrain, AConnectionThatSendsNothingDoesNotHoldTheStop) {
  Listener listener(60);  // the read timeout is not what ends the wait
  ASSERT_TRUE(listener.started) << listener.start_error;
  TcpConnection silent("127.0.0.1", listener.port());
  ASSERT_TRUE(silent.connected()) << silent.error();
  std::this_thread::sleep_for(300ms);  // accepted: the listener has its session
  const auto began = std::chrono::steady_clock::now();
  listener.listener->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 30s);
  silent.receive(1s);
  EXPECT_TRUE(silent.closed_by_server());
}

// A handler that throws (here the callback told of a response, called on the
// connection's strand) loses its connection, and the thread that ran it serves
// on: with a single serving thread, one that ended with the exception left
// nobody to answer the next scrape.
TEST(ListenerThreads, AServingThreadWhoseHandlerThrowsServesOn) {
  std::atomic<int> responses{0};
  Listener listener(10, 1, [&](unsigned) {
    if (responses++ == 0) throw std::runtime_error("the first response's callback fails");
  });
  ASSERT_TRUE(listener.started) << listener.start_error;
  const std::string scrape = "GET /metrics HTTP/1.1\r\nHost: threads\r\nConnection: close\r\n\r\n";
  TcpConnection first("127.0.0.1", listener.port());
  ASSERT_TRUE(first.send(scrape));
  first.receive(5s);
  EXPECT_TRUE(first.closed_by_server());
  TcpConnection second("127.0.0.1", listener.port());
  ASSERT_TRUE(second.send(scrape));
  const auto reply = nq::testing::parse_reply(second.receive(5s));
  EXPECT_EQ(reply.status, 200) << reply.error;
  EXPECT_EQ(reply.body, "a_metric 1\n");
}

}  // namespace
