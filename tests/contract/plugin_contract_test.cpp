// The plugin contract suite (nq/testing/plugin_contract.hpp) run on our
// plugin; NQ_CONTRACT_PLUGIN names another plugin to run it on instead (the
// test contract_suite_catches_a_broken_plugin runs it on a broken one).
#include <cstdlib>
#include <string>

#include "nq/testing/plugin_contract.hpp"

namespace {

using nq::testing::PluginContract;

std::string plugin_under_contract() {
  const char* chosen = std::getenv("NQ_CONTRACT_PLUGIN");
  return chosen != nullptr && chosen[0] != '\0' ? chosen : NQ_PLUGIN_PATH;
}

INSTANTIATE_TEST_SUITE_P(
    NqMetrics, PluginContract,
    ::testing::Values(nq::testing::PluginContractTarget{
        plugin_under_contract(), "neuroquantum_plugin_malformed_events_total", {}}));

}  // namespace
