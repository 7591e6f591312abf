// nq-native-histogram-feeder PLUGIN SECONDS: an engine with a known query
// duration distribution, for prometheus_native_histogram_test.sh. It loads
// the plugin with native histograms on (listening on a free loopback port,
// printed as "port N"), then for SECONDS seconds fires, every 100 ms, one
// cycle of 1000 select statements lasting 1, 2, ..., 1000 ms: a uniform
// distribution whose 0.99 quantile is 990 ms.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "nq/nq_abi_cpp.hpp"
#include "test_engine.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PLUGIN SECONDS\n", argv[0]);
    return 2;
  }
  nq::testing::TestEngine engine;
  engine.settings = {{"listen", "127.0.0.1:0"}, {"native_histograms", "true"}};
  nq_host* host = engine.create_host();
  char error[512] = {};
  if (host == nullptr || nq_host_load(host, argv[1], error, sizeof error) != NQ_OK) {
    std::fprintf(stderr, "loading %s failed: %s\n", argv[1], error);
    return 1;
  }
  std::printf("port %u\n", static_cast<unsigned>(engine.metrics_port()));
  std::fflush(stdout);

  constexpr uint64_t kMs = 1'000'000;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(argv[2]));
  uint64_t id = 0;
  for (auto tick = std::chrono::steady_clock::now(); tick < until;
       tick += std::chrono::milliseconds(100)) {
    for (uint64_t ms = 1; ms <= 1000; ++ms) {
      auto begin = nq::make_event<nq_query_begin_event>();
      begin.query_type = NQ_QUERY_SELECT;
      begin.query_id = ++id;
      nq_host_query_begin(host, &begin);
      auto end = nq::make_event<nq_query_end_event>();
      end.query_type = NQ_QUERY_SELECT;
      end.query_id = id;
      end.status = NQ_QUERY_SUCCESS;
      end.duration_ns = ms * kMs;
      nq_host_query_end(host, &end);
    }
    std::this_thread::sleep_until(tick + std::chrono::milliseconds(100));
  }
  nq_host_unload(host);
  nq_host_destroy(host);
  return 0;
}
