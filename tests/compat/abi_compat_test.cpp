// The tree's host runtime and plugin against code built with the frozen
// ABI 1.1 header (tests/compat/abi-1.1): the host loads a plugin built
// against 1.1 and delivers every hook to it, counted exactly and none refused;
// a reload from that plugin to the tree's plugin succeeds and the new copy
// counts. (The other direction, a C engine built against 1.1 loading the
// tree's plugin, is the test c_engine_abi_1_1_loads_tree_plugin.)
#include <gtest/gtest.h>

#include <string>

#include "nq/nq_abi_cpp.hpp"
#include "nq/nq_host.h"
#include "nq/testing/http_client.hpp"
#include "test_engine.hpp"

namespace {

using nq::testing::TestEngine;

constexpr int kRounds = 3;

void fire_every_hook(nq_host* host){
#define NQ_COMPAT_FIRE(name, event_type, doc)        \
  {                                                  \
    const auto event = nq::make_event<event_type>(); \
    nq_host_##name(host, &event);                    \
  }
    NQ_HOOK_LIST(NQ_COMPAT_FIRE)
#undef NQ_COMPAT_FIRE
}

// The "counting plugin: ..." line the 1.1 plugin logs when it stops.
std::string counts_logged(const TestEngine& engine) {
  for (const std::string& line : engine.log_lines()) {
    if (line.find("counting plugin:") != std::string::npos) return line;
  }
  return "";
}

TEST(AbiCompat, TheTreeHostDeliversEveryHookToAPluginBuiltAgainstAbi11) {
  TestEngine engine;
  nq_host* host = engine.create_host();
  ASSERT_NE(host, nullptr);
  char err[512] = {};
  ASSERT_EQ(nq_host_load(host, NQ_COUNTING_1_1_PLUGIN_PATH, err, sizeof err), NQ_OK) << err;
  for (int i = 0; i < kRounds; ++i) fire_every_hook(host);
  ASSERT_EQ(nq_host_unload(host), NQ_OK);
  const std::string counts = counts_logged(engine);
  ASSERT_FALSE(counts.empty()) << "the 1.1 plugin logged no counts";
#define NQ_COMPAT_EXPECT(name, event_type, doc) \
  EXPECT_NE(counts.find(" " #name "=" + std::to_string(kRounds)), std::string::npos) << counts;
  NQ_HOOK_LIST(NQ_COMPAT_EXPECT)
#undef NQ_COMPAT_EXPECT
  EXPECT_NE(counts.find(" malformed=0"), std::string::npos) << counts;
  nq_host_destroy(host);
}

TEST(AbiCompat, AReloadFromTheAbi11PluginToTheTreePluginServesAndCounts) {
  TestEngine engine;
  engine.settings["listen"] = "127.0.0.1:0";
  nq_host* host = engine.create_host();
  ASSERT_NE(host, nullptr);
  char err[512] = {};
  ASSERT_EQ(nq_host_load(host, NQ_COUNTING_1_1_PLUGIN_PATH, err, sizeof err), NQ_OK) << err;
  fire_every_hook(host);
  // The 1.1 plugin keeps no state (no export_state): there is nothing to carry.
  ASSERT_EQ(nq_host_reload(host, NQ_PLUGIN_PATH, err, sizeof err), NQ_OK) << err;
  EXPECT_NE(counts_logged(engine).find(" query_end=1"), std::string::npos);
  auto end = nq::make_event<nq_query_end_event>();
  end.query_type = NQ_QUERY_INSERT;
  for (int i = 0; i < 5; ++i) nq_host_query_end(host, &end);
  const auto reply = nq::testing::http_get("127.0.0.1", engine.metrics_port(), "/metrics");
  ASSERT_EQ(reply.status, 200) << reply.error;
  EXPECT_EQ(nq::testing::sample_value(
                reply.body, R"(neuroquantum_queries_total{query_type="insert",status="success"})"),
            5);
  EXPECT_EQ(nq::testing::sample_value(
                reply.body, R"(neuroquantum_plugin_malformed_events_total{hook="query_end"})"),
            0);
  nq_host_destroy(host);
}

}  // namespace
