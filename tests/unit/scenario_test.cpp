#include "scenario.hpp"

#include <gtest/gtest.h>

namespace nq::mock {
namespace {

WorkloadConfig base() {
  WorkloadConfig w;
  w.threads = 3;
  w.queries_per_second = 50;
  w.faults.set(static_cast<size_t>(*fault_by_name("errors")));
  return w;
}

// The error that parsing `text` reports ("" if none).
std::string error_of(const std::string& text) {
  std::string error;
  return parse_scenario(text, "bug-1234.toml", base(), error) ? "" : error;
}

TEST(Scenario, PhasesStartFromTheConfigsWorkload) {
  std::string error;
  const auto s = parse_scenario(R"(
scenario_version = 1
description = "storm"
seed = 7
[[phase]]
seconds = 2.5
[[phase]]
name = "storm"
seconds = 1
queries_per_second = 0
threads = 8
faults = ["lock-storm"]
reload = true
)",
                                "bug-1234.toml", base(), error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->description, "storm");
  EXPECT_EQ(s->seed, 7u);
  ASSERT_EQ(s->phases.size(), 2u);
  EXPECT_EQ(s->phases[0].name, "phase 1");
  EXPECT_DOUBLE_EQ(s->phases[0].seconds, 2.5);
  EXPECT_EQ(s->phases[0].workload.threads, 3u);
  EXPECT_DOUBLE_EQ(s->phases[0].workload.queries_per_second, 50);
  EXPECT_FALSE(s->phases[0].reload);
  EXPECT_EQ(s->phases[1].workload.threads, 8u);
  EXPECT_DOUBLE_EQ(s->phases[1].workload.queries_per_second, 0);
  EXPECT_TRUE(s->phases[1].reload);
  EXPECT_EQ(describe(s->phases[1].workload.faults), "lock-storm, errors");  // added to the config's
}

TEST(Scenario, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("[[phase]]\nseconds = 1\n"),
            "bug-1234.toml:1:1: scenario_version: missing: this reader knows version 1");
  EXPECT_EQ(error_of("scenario_version = 2\n[[phase]]\nseconds = 1\n"),
            "bug-1234.toml:1:20: scenario_version: version 2 is not known; this reader knows 1");
  EXPECT_EQ(error_of("scenario_version = 1\n"),
            "bug-1234.toml:1:1: phase: missing: at least one [[phase]]");
  EXPECT_EQ(error_of("scenario_version = 1\n[[phase]]\nname = \"x\"\n"),
            "bug-1234.toml:2:1: phase.seconds: missing: how long the phase lasts");
  EXPECT_EQ(error_of("scenario_version = 1\n[[phase]]\nseconds = 1\nfaults = [\"nope\"]\n"),
            "bug-1234.toml:4:11: phase.faults: unknown fault profile 'nope' (nq-mock-engine "
            "--help lists them)");
  EXPECT_EQ(error_of("scenario_version = 1\n[[phase]]\nseconds = 1\nrelaod = true\n"),
            "bug-1234.toml:4:1: phase.relaod: unknown key");
  EXPECT_EQ(error_of("scenario_version = 1\n[[phase]]\nseconds = 0\n"),
            "bug-1234.toml:3:11: phase.seconds: must be between 0.001 and 86400");
}

}  // namespace
}  // namespace nq::mock
