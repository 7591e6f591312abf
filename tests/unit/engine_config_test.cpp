#include "engine_config.hpp"

#include <gtest/gtest.h>

namespace nq::mock {
namespace {

// The error that parsing `text` reports ("" if none).
std::string error_of(const std::string& text, const std::string& file = "/etc/nq/engine.toml") {
  std::string error;
  return parse_config(text, file, error) ? "" : error;
}

TEST(EngineConfig, ReadsEveryKey) {
  std::string error;
  const auto c = parse_config(R"(
[engine]
name = "db-7"
log_level = "warn"
thread_slots = 16

[plugins.metrics]
path = "/opt/nq/libnq_metrics.so"

[plugins.metrics.settings]
listen = "0.0.0.0:9470"
slow_query_seconds = 0.5
enabled = true
histograms.query_duration_seconds = [0.001, 0.01, 1]

[workload]
threads = 2
queries_per_second = 12.5

[workload.mix]
select = 3
ddl = 1
)",
                              "/etc/nq/engine.toml", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->name, "db-7");
  EXPECT_EQ(c->log_level, NQ_LOG_WARN);
  EXPECT_EQ(c->thread_slots, 16u);
  ASSERT_TRUE(c->plugin);
  EXPECT_EQ(c->plugin->path, "/opt/nq/libnq_metrics.so");
  EXPECT_EQ(c->plugin->settings.at("listen"), "0.0.0.0:9470");
  EXPECT_EQ(c->plugin->settings.at("slow_query_seconds"), "0.5");
  EXPECT_EQ(c->plugin->settings.at("enabled"), "true");
  EXPECT_EQ(c->plugin->settings.at("histograms.query_duration_seconds"), "0.001,0.01,1");
  EXPECT_EQ(c->workload.threads, 2u);
  EXPECT_DOUBLE_EQ(c->workload.queries_per_second, 12.5);
  EXPECT_EQ(c->workload.mix[NQ_QUERY_SELECT], 3u);
  EXPECT_EQ(c->workload.mix[NQ_QUERY_INSERT], 0u);
  EXPECT_EQ(c->workload.mix[NQ_QUERY_DDL], 1u);
}

TEST(EngineConfig, EmptyFileMeansDefaultsAndNoPlugin) {
  std::string error;
  const auto c = parse_config("", "empty.toml", error);
  ASSERT_TRUE(c) << error;
  EXPECT_FALSE(c->plugin);
  EXPECT_EQ(c->workload.threads, 4u);
  EXPECT_EQ(c->log_level, NQ_LOG_INFO);
}

TEST(EngineConfig, RelativePluginPathIsResolvedAgainstTheConfigFile) {
  std::string error;
  const auto c = parse_config("[plugins.metrics]\npath = \"../lib/libnq_metrics.so\"\n",
                              "/etc/nq/conf.d/engine.toml", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->plugin->path, "/etc/nq/lib/libnq_metrics.so");
}

TEST(EngineConfig, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("[workload]\nthredas = 3\n"),
            "/etc/nq/engine.toml:2:1: workload.thredas: unknown key");
  EXPECT_EQ(error_of("[workload]\nthreads = \"four\"\n"),
            "/etc/nq/engine.toml:2:11: workload.threads: expected an integer, got a string");
  EXPECT_EQ(error_of("\n[workload]\nthreads = 0\n"),
            "/etc/nq/engine.toml:3:11: workload.threads: must be between 1 and 256, got 0");
  EXPECT_EQ(error_of("[engine]\nlog_level = \"loud\"\n"),
            "/etc/nq/engine.toml:2:13: engine.log_level: unknown level 'loud' (trace, debug, "
            "info, warn or error)");
  EXPECT_EQ(error_of("[workload.mix]\nselect = 0\n"),
            "/etc/nq/engine.toml:1:1: workload.mix: at least one weight must be above 0");
  EXPECT_EQ(error_of("[workload.mix]\nmerge = 1\n"),
            "/etc/nq/engine.toml:2:1: workload.mix.merge: unknown key");
  EXPECT_EQ(error_of("[plugins.metrics]\nsettings = {}\n"),
            "/etc/nq/engine.toml:1:1: plugins.metrics.path: missing: the path of libnq_metrics.so");
  EXPECT_EQ(error_of("[plugins.other]\npath = \"x\"\n"),
            "/etc/nq/engine.toml:1:10: plugins.other: unknown key");
  const std::string syntax = error_of("[workload\nthreads = 1\n");
  EXPECT_EQ(syntax.rfind("/etc/nq/engine.toml:1:", 0), 0u) << syntax;
  EXPECT_NE(syntax.find("syntax error"), std::string::npos) << syntax;
}

TEST(EngineConfig, MissingFileIsNamed) {
  std::string error;
  ASSERT_FALSE(load_config("/nonexistent/engine.toml", error)) << "no error";
  EXPECT_EQ(error, "/nonexistent/engine.toml: cannot read the config file");
}

}  // namespace
}  // namespace nq::mock
