// The real libnq_metrics.so loaded through the real host runtime (Boost.DLL,
// dlopen), fed known events, scraped over real loopback HTTP.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "nq/nq_abi_cpp.hpp"
#include "nq/nq_host.h"
#include "nq/testing/http_client.hpp"
#include "process_census.hpp"
#include "test_engine.hpp"

namespace {

using nq::testing::gunzip;
using nq::testing::http_exchange;
using nq::testing::http_get;
using nq::testing::sample_value;
using nq::testing::TestEngine;
using namespace std::chrono_literals;

class PluginHost : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.settings["listen"] = "127.0.0.1:0";
    host_ = engine_.create_host(2);  // with 4 threads, two share the overflow row
    ASSERT_NE(host_, nullptr);
  }
  void TearDown() override { nq_host_destroy(host_); }

  nq_status load(const std::string& path) {
    err_[0] = '\0';
    return nq_host_load(host_, path.c_str(), err_, sizeof err_);
  }

  std::string scrape() {
    const auto reply = http_get("127.0.0.1", engine_.metrics_port(), "/metrics");
    EXPECT_EQ(reply.status, 200) << reply.error;
    return reply.body;
  }

  void run_queries(nq_query_type type, nq_query_status status, int n, uint64_t duration_ns) {
    for (int i = 0; i < n; ++i) {
      nq_query_begin_event begin{};
      begin.struct_size = sizeof begin;
      begin.query_type = type;
      nq_host_query_begin(host_, &begin);
      nq_query_end_event end{};
      end.struct_size = sizeof end;
      end.query_type = type;
      end.status = status;
      end.duration_ns = duration_ns;
      nq_host_query_end(host_, &end);
    }
  }

  TestEngine engine_;
  nq_host* host_ = nullptr;
  char err_[512] = {};
};

TEST_F(PluginHost, CountsEventsFromManyThreadsExactly) {
  ASSERT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      run_queries(NQ_QUERY_SELECT, NQ_QUERY_SUCCESS, kPerThread, 2'000'000);  // 2 ms
      run_queries(t % 2 ? NQ_QUERY_INSERT : NQ_QUERY_DELETE, NQ_QUERY_ERROR, 10, 20'000'000);
    });
  }
  for (auto& t : threads) t.join();
  run_queries(99, 77, 1, 1);  // out-of-range enums fold into other/error

  const std::string text = scrape();
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_queries_total{query_type="select",status="success"})"),
      4 * kPerThread);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_queries_total{query_type="insert",status="error"})"),
            20);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_queries_total{query_type="delete",status="error"})"),
            20);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_queries_total{query_type="other",status="error"})"),
            1);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_queries_total{query_type="update",status="success"})"), 0);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_query_duration_seconds_count{query_type="select"})"),
            4 * kPerThread);
  EXPECT_EQ(
      sample_value(text,
                   R"(neuroquantum_query_duration_seconds_bucket{query_type="select",le="0.001"})"),
      0);
  EXPECT_EQ(
      sample_value(
          text, R"(neuroquantum_query_duration_seconds_bucket{query_type="select",le="0.0025"})"),
      4 * kPerThread);
  EXPECT_DOUBLE_EQ(
      *sample_value(text, R"(neuroquantum_query_duration_seconds_sum{query_type="select"})"),
      4 * kPerThread * 0.002);
  EXPECT_EQ(sample_value(text, "neuroquantum_active_queries"), 0);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_plugin_events_total{hook="query_begin"})"),
            4 * (kPerThread + 10) + 1);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_plugin_events_total{hook="wal_fsync"})"), 0);

  nq_host_plugin_info info{};
  info.struct_size = sizeof info;
  ASSERT_EQ(nq_host_plugin(host_, &info), NQ_OK);
  const std::string build_id(info.build_id.data, info.build_id.len);
  EXPECT_FALSE(build_id.empty());
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_build_info{version="0.1.0",abi_version="1.2",build_id=")" +
                             build_id + "\"}"),
      1);
}

TEST_F(PluginHost, EventsWithoutPayloadAreCountedButNotRead) {
  ASSERT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
  nq_host_query_end(host_, nullptr);
  nq_query_end_event too_small{};
  too_small.struct_size = 8;  // claims to be shorter than ABI 1.0's event
  nq_host_query_end(host_, &too_small);
  const std::string text = scrape();
  EXPECT_EQ(sample_value(text, R"(neuroquantum_plugin_events_total{hook="query_end"})"), 2);
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_queries_total{query_type="select",status="success"})"), 0);
}

// An event is read when its struct_size covers at least the event's first
// version, from an older engine (the fields it lacks read as 0) or a newer
// one (bytes past this version's struct are not read); smaller is malformed.
TEST_F(PluginHost, EventsOfEveryVersionFromTheFirstOnAreReadAndSmallerOnesAreMalformed) {
  ASSERT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
  auto first_version = nq::make_event<nq_query_end_event>();
  first_version.struct_size = NQ_FIRST_VERSION_SIZE(nq_query_end_event);
  first_version.query_type = NQ_QUERY_DELETE;
  nq_host_query_end(host_, &first_version);
  struct {
    nq_query_end_event event;
    uint64_t field_of_a_later_minor;
  } newer{nq::make_event<nq_query_end_event>(), 42};
  newer.event.struct_size = sizeof newer;
  newer.event.query_type = NQ_QUERY_DELETE;
  nq_host_query_end(host_, &newer.event);
  auto too_small = first_version;
  too_small.struct_size = NQ_FIRST_VERSION_SIZE(nq_query_end_event) - 1;
  nq_host_query_end(host_, &too_small);
  const std::string text = scrape();
  EXPECT_EQ(
      sample_value(text, R"(neuroquantum_queries_total{query_type="delete",status="success"})"), 2);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_plugin_malformed_events_total{hook="query_end"})"),
            1);
}

TEST_F(PluginHost, ServesTheStandardEndpoints) {
  ASSERT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
  const uint16_t port = engine_.metrics_port();
  const auto metrics = http_get("127.0.0.1", port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.headers.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  const auto landing = http_get("127.0.0.1", port, "/");
  EXPECT_EQ(landing.status, 200);
  EXPECT_NE(landing.body.find("href=\"/metrics\""), std::string::npos);
  EXPECT_EQ(http_get("127.0.0.1", port, "/-/healthy").status, 200);
  EXPECT_EQ(http_get("127.0.0.1", port, "/-/ready").status, 200);
  EXPECT_EQ(http_get("127.0.0.1", port, "/metrics?x=1").status, 200);
  EXPECT_EQ(http_get("127.0.0.1", port, "/nope").status, 404);
  const auto post =
      http_exchange("127.0.0.1", port, "POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close");
  EXPECT_EQ(post.status, 405);
  EXPECT_NE(post.headers.find("Allow: GET, HEAD"), std::string::npos);
  const auto head =
      http_exchange("127.0.0.1", port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(http_exchange("127.0.0.1", port, "GARBAGE\x01 / HTTP/9").status, 400);
  EXPECT_EQ(http_get("127.0.0.1", port, "/metrics").status, 200) << "still serving";
}

TEST_F(PluginHost, NegotiatesOpenMetricsAndGzip) {
  ASSERT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
  run_queries(NQ_QUERY_INSERT, NQ_QUERY_SUCCESS, 4, 1'000'000);
  const uint16_t port = engine_.metrics_port();
  const auto om = http_exchange(
      "127.0.0.1", port,
      "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
      "Accept-Encoding: gzip");
  ASSERT_EQ(om.status, 200) << om.error;
  EXPECT_NE(om.headers.find("Content-Type: application/openmetrics-text; version=1.0.0"),
            std::string::npos);
  EXPECT_NE(om.headers.find("Content-Encoding: gzip"), std::string::npos);
  const std::string body = gunzip(om.body);
  EXPECT_TRUE(body.ends_with("# EOF\n"));
  EXPECT_NE(body.find("# TYPE neuroquantum_queries counter\n"), std::string::npos);
  EXPECT_EQ(
      sample_value(body, R"(neuroquantum_queries_total{query_type="insert",status="success"})"), 4);
  // Without Accept / Accept-Encoding: plain text 0.0.4, uncompressed.
  const auto plain = http_get("127.0.0.1", port, "/metrics");
  EXPECT_EQ(plain.headers.find("Content-Encoding"), std::string::npos);
  EXPECT_EQ(plain.body.find("# EOF"), std::string::npos);
  // The scrapes above were timed.
  EXPECT_GE(sample_value(plain.body, "neuroquantum_plugin_scrape_duration_seconds_count"), 1);
}

TEST_F(PluginHost, DispatchWithoutAPluginIsANoOp) {
  run_queries(NQ_QUERY_SELECT, NQ_QUERY_SUCCESS, 10, 1);
  nq_host_query_begin(nullptr, nullptr);
  nq_host_plugin_info info{};
  info.struct_size = sizeof info;
  EXPECT_EQ(nq_host_plugin(host_, &info), NQ_ERR_NOT_LOADED);
  EXPECT_EQ(nq_host_unload(host_), NQ_ERR_NOT_LOADED);
}

TEST_F(PluginHost, MissingFileIsRefusedClearly) {
  EXPECT_EQ(load("/nonexistent/libnq_metrics.so"), NQ_ERR_NOT_FOUND);
  EXPECT_NE(std::string(err_).find("'/nonexistent/libnq_metrics.so' does not exist"),
            std::string::npos)
      << err_;
  EXPECT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << "the host still works: " << err_;
}

TEST_F(PluginHost, FileThatIsNotAnElfIsRefusedClearly) {
  const auto path =
      std::filesystem::temp_directory_path() / ("not_elf_" + std::to_string(getpid()) + ".so");
  {
    std::ofstream out(path);
    for (int i = 0; i < 100; ++i) out << "this is not a shared object\n";
  }
  EXPECT_EQ(load(path), NQ_ERR_LOAD_FAILED);
  EXPECT_NE(std::string(err_).find("invalid ELF header"), std::string::npos) << err_;
  std::filesystem::remove(path);
  EXPECT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
}

TEST_F(PluginHost, LibraryWithoutEntryPointIsRefusedClearly) {
  EXPECT_EQ(load(NQ_NO_ENTRY_PLUGIN_PATH), NQ_ERR_NO_ENTRY_POINT);
  EXPECT_NE(std::string(err_).find("does not export nq_plugin_entry"), std::string::npos) << err_;
  EXPECT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
}

TEST_F(PluginHost, PluginOfAnotherMajorIsRefusedNamingBothVersions) {
  EXPECT_EQ(load(NQ_WRONG_ABI_PLUGIN_PATH), NQ_ERR_ABI_MISMATCH);
  const std::string message = err_;
  EXPECT_NE(message.find("built for plugin ABI 2.0"), std::string::npos) << message;
  EXPECT_NE(message.find("provides plugin ABI 1.2"), std::string::npos) << message;
  EXPECT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
}

TEST_F(PluginHost, BadSettingsFailCreateNamingTheKey) {
  engine_.settings["listen"] = "not-an-address";
  EXPECT_EQ(load(NQ_PLUGIN_PATH), NQ_ERR_CREATE_FAILED);
  EXPECT_NE(std::string(err_).find("'listen'"), std::string::npos) << err_;
}

TEST_F(PluginHost, PortInUseFailsStartAndTheHostKeepsRunning) {
  const int busy = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(busy, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(busy, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(busy, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  engine_.settings["listen"] = address;
  EXPECT_EQ(load(NQ_PLUGIN_PATH), NQ_ERR_START_FAILED);
  const std::string message = err_;
  EXPECT_NE(message.find("cannot listen on " + address), std::string::npos) << message;
  EXPECT_NE(message.find("in use"), std::string::npos) << message;
  EXPECT_TRUE(engine_.wait_for_log("cannot listen on " + address, 1s))
      << "logged through the engine";
  run_queries(NQ_QUERY_SELECT, NQ_QUERY_SUCCESS, 3, 1);  // no plugin: no-op, no crash
  ::close(busy);

  engine_.settings["listen"] = "127.0.0.1:0";
  ASSERT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
  EXPECT_EQ(
      sample_value(scrape(), R"(neuroquantum_queries_total{query_type="select",status="success"})"),
      0);
}

TEST_F(PluginHost, SecondLoadIsRefusedWhileOneIsLoaded) {
  ASSERT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
  EXPECT_EQ(load(NQ_PLUGIN_PATH), NQ_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err_).find("already loaded"), std::string::npos) << err_;
}

TEST_F(PluginHost, UnloadReallyUnmapsThePluginAndItCanBeLoadedAgain) {
  for (int round = 0; round < 10; ++round) {
    ASSERT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
    nq_host_plugin_info info{};
    info.struct_size = sizeof info;
    ASSERT_EQ(nq_host_plugin(host_, &info), NQ_OK);
    const std::string loaded_from(info.loaded_from.data, info.loaded_from.len);
    const std::string mapped(info.mapped_name.data, info.mapped_name.len);
    void* loaded = dlopen(loaded_from.c_str(), RTLD_NOW | RTLD_NOLOAD);
    EXPECT_NE(loaded, nullptr) << "control: the check sees a loaded plugin";
    if (loaded != nullptr) dlclose(loaded);  // RTLD_NOLOAD took a reference
    EXPECT_TRUE(nq::testing::is_mapped(mapped)) << "control: " << mapped;
    ASSERT_EQ(nq_host_unload(host_), NQ_OK);
    void* after = dlopen(loaded_from.c_str(), RTLD_NOW | RTLD_NOLOAD);
    EXPECT_EQ(after, nullptr) << "still loaded after unload, round " << round;
    if (after != nullptr) dlclose(after);
    EXPECT_FALSE(nq::testing::is_mapped(mapped)) << "still mapped after unload, round " << round;
  }
}

TEST_F(PluginHost, HookCallsRaceSafelyWithUnloadAndLoad) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      while (!stop.load()) run_queries(NQ_QUERY_UPDATE, NQ_QUERY_SUCCESS, 10, 1000);
    });
  }
  for (int round = 0; round < 20; ++round) {
    ASSERT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
    std::this_thread::sleep_for(2ms);
    ASSERT_EQ(nq_host_unload(host_), NQ_OK);
  }
  stop = true;
  for (auto& c : callers) c.join();
}

TEST_F(PluginHost, ExpositionPassesPromtoolWithoutWarnings) {
  ASSERT_EQ(load(NQ_PLUGIN_PATH), NQ_OK) << err_;
  run_queries(NQ_QUERY_SELECT, NQ_QUERY_SUCCESS, 3, 3'000'000);
  run_queries(NQ_QUERY_DDL, NQ_QUERY_CANCELLED, 1, 3'000'000'000);
  const auto file =
      std::filesystem::temp_directory_path() / ("metrics_" + std::to_string(getpid()) + ".txt");
  std::ofstream(file) << scrape();
  const std::string command = "promtool check metrics < " + file.string() + " 2>&1; echo exit=$?";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  pclose(pipe);
  std::filesystem::remove(file);
  EXPECT_EQ(output, "exit=0\n") << "promtool must accept the output with no warnings";
}

}  // namespace
