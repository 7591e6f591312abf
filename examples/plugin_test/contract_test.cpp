// Worked example: running a plugin through the plugin contract suite.
#include "nq/testing/plugin_contract.hpp"

namespace {

using nq::testing::PluginContract;

INSTANTIATE_TEST_SUITE_P(MetricsPlugin, PluginContract,
                         ::testing::Values(nq::testing::PluginContractTarget{
                             NQ_PLUGIN, "neuroquantum_plugin_malformed_events_total", {}}));

}  // namespace
