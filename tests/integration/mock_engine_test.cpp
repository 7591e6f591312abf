// The real nq-mock-engine binary, run as an operator would run a server.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "catalogue/hook_names.hpp"
#include "catalogue/metric_catalogue.hpp"
#include "nq/testing/http_client.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// One run of the mock engine, its stderr going to a file.
class EngineProcess {
 public:
  EngineProcess(const std::string& config_text, std::vector<std::string> extra_args) {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("nq-mock-engine-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(dir_);
    config_ = dir_ / "engine.toml";
    std::ofstream(config_) << config_text;
    std::vector<std::string> args = {NQ_MOCK_ENGINE_PATH, "--config", config_.string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, (dir_ / "stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }

  ~EngineProcess() {
    if (pid_ > 0 && !exit_code_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  // Exit code, or nullopt if it is still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exit_code_ && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      } else {
        std::this_thread::sleep_for(10ms);
      }
    }
    return exit_code_;
  }

  std::string log() const {
    std::ifstream in(dir_ / "stderr");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Waits for a log line matching `pattern`; returns its first capture group.
  std::optional<std::string> wait_for_log(const std::regex& pattern,
                                          std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      std::smatch m;
      const std::string text = log();
      if (std::regex_search(text, m, pattern)) return m.size() > 1 ? m[1].str() : m[0].str();
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
  }

  pid_t pid() const { return pid_; }
  const fs::path& config() const { return config_; }

 private:
  fs::path dir_;
  fs::path config_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

const std::string kWorkload = "[workload]\nthreads = 2\nqueries_per_second = 400\n";

TEST(MockEngine, BadConfigExitsWithCode2NamingFileLineAndKey) {
  EngineProcess engine("[workload]\nthreads = 2\nqueries_per_sec = 5\n", {});
  ASSERT_EQ(engine.wait(10s), 2);
  EXPECT_NE(
      engine.log().find(engine.config().string() + ":3:1: workload.queries_per_sec: unknown key"),
      std::string::npos)
      << engine.log();
}

TEST(MockEngine, MissingPluginIsLoggedAndTheEngineKeepsRunning) {
  EngineProcess engine("[plugins.metrics]\npath = \"/nonexistent/libnq_metrics.so\"\n" + kWorkload,
                       {"--duration", "1"});
  ASSERT_EQ(engine.wait(15s), 0) << engine.log();
  const std::string log = engine.log();
  EXPECT_NE(log.find("metrics plugin not loaded (NQ_ERR_NOT_FOUND)"), std::string::npos) << log;
  EXPECT_NE(log.find("duration reached"), std::string::npos) << log;
  EXPECT_TRUE(std::regex_search(log, std::regex("queries issued: select=[1-9]"))) << log;
}

TEST(MockEngine, ServesMetricsFromItsWorkloadAndStopsOnSigterm) {
  EngineProcess engine("[plugins.metrics]\npath = \"" NQ_PLUGIN_PATH
                       "\"\n[plugins.metrics.settings]\nlisten = \"127.0.0.1:0\"\n" +
                           kWorkload,
                       {"--seed", "7"});
  const auto port =
      engine.wait_for_log(std::regex("serving http://127\\.0\\.0\\.1:([0-9]+)/metrics"), 10s);
  ASSERT_TRUE(port) << engine.log();
  std::optional<double> selects;
  for (int attempt = 0; attempt < 50 && selects.value_or(0) == 0; ++attempt) {
    std::this_thread::sleep_for(100ms);
    const auto reply =
        nq::testing::http_get("127.0.0.1", static_cast<uint16_t>(std::stoi(*port)), "/metrics");
    ASSERT_EQ(reply.status, 200) << reply.error;
    selects = nq::testing::sample_value(
        reply.body, R"(neuroquantum_queries_total{query_type="select",status="success"})");
  }
  EXPECT_GT(selects.value_or(0), 0) << "the workload's queries reach /metrics";
  // The default workload drives every hook, so every family of the catalogue is there.
  nq::testing::HttpReply reply;
  auto hooks_not_called = [&] {
    reply = nq::testing::http_get("127.0.0.1", static_cast<uint16_t>(std::stoi(*port)), "/metrics");
    std::vector<std::string> missing;
    for (const std::string_view hook : nq::metrics::kHookNames) {
      const std::string series =
          "neuroquantum_plugin_events_total{hook=\"" + std::string(hook) + "\"}";
      if (nq::testing::sample_value(reply.body, series).value_or(0) == 0)
        missing.emplace_back(hook);
    }
    return missing;
  };
  std::vector<std::string> missing = hooks_not_called();
  for (int attempt = 0; attempt < 50 && !missing.empty(); ++attempt) {
    std::this_thread::sleep_for(100ms);
    missing = hooks_not_called();
  }
  for (const std::string& hook : missing)
    ADD_FAILURE() << "the workload never called hook " << hook;
  for (const nq::metrics::FamilyDef& def : nq::metrics::catalogue()) {
    EXPECT_NE(reply.body.find("\n# TYPE " + std::string(def.name) + " "), std::string::npos)
        << def.name << " is missing";
  }
  ASSERT_EQ(kill(engine.pid(), SIGTERM), 0);
  ASSERT_EQ(engine.wait(5s), 0) << engine.log();
  EXPECT_NE(engine.log().find("received SIGTERM, stopping"), std::string::npos);
  EXPECT_NE(engine.log().find("nq_metrics stopped serving"), std::string::npos);
}

TEST(MockEngine, SighupReloadsThePluginNamedByTheRereadConfig) {
  const auto plugin_section = [](const char* path) {
    return std::string("[plugins.metrics]\npath = \"") + path +
           "\"\n[plugins.metrics.settings]\nlisten = \"127.0.0.1:0\"\n" + kWorkload;
  };
  EngineProcess engine(plugin_section(NQ_PLUGIN_PATH), {"--seed", "3"});
  const auto port_text =
      engine.wait_for_log(std::regex("serving http://127\\.0\\.0\\.1:([0-9]+)/metrics"), 10s);
  ASSERT_TRUE(port_text) << engine.log();
  const auto port = static_cast<uint16_t>(std::stoi(*port_text));
  const std::string series = R"(neuroquantum_queries_total{query_type="select",status="success"})";
  std::this_thread::sleep_for(300ms);
  const double before =
      nq::testing::sample_value(nq::testing::http_get("127.0.0.1", port, "/metrics").body, series)
          .value_or(-1);

  // The operator points the config at another build and sends SIGHUP.
  std::ofstream(engine.config()) << plugin_section(NQ_ALTERNATE_PLUGIN_PATH);
  ASSERT_EQ(kill(engine.pid(), SIGHUP), 0);
  ASSERT_TRUE(engine.wait_for_log(std::regex("SIGHUP: reloaded .* -> plugin .*-alternate\\)"), 10s))
      << engine.log();
  const auto reply = nq::testing::http_get("127.0.0.1", port, "/metrics");  // same port
  ASSERT_EQ(reply.status, 200) << reply.error;
  EXPECT_NE(reply.body.find("-alternate\"}"), std::string::npos)
      << "build_info shows the new build";
  EXPECT_GE(nq::testing::sample_value(reply.body, series).value_or(-1), before);

  // A broken config on SIGHUP changes nothing.
  std::ofstream(engine.config()) << "[plugins.metrics\n";
  ASSERT_EQ(kill(engine.pid(), SIGHUP), 0);
  ASSERT_TRUE(engine.wait_for_log(std::regex("SIGHUP: config not reloaded"), 10s)) << engine.log();
  EXPECT_EQ(nq::testing::http_get("127.0.0.1", port, "/metrics").status, 200);
  ASSERT_EQ(kill(engine.pid(), SIGTERM), 0);
  ASSERT_EQ(engine.wait(5s), 0) << engine.log();
}

TEST(MockEngine, ScenarioRunsItsPhasesWithTheirFaultsAndReloadsThenStops) {
  const std::string dir = fs::temp_directory_path() / ("nq-scenario-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string scenario = dir + "/bug.toml";
  std::ofstream(scenario) << "scenario_version = 1\n"
                             "description = \"reload in a lock storm\"\n"
                             "seed = 42\n"
                             "[[phase]]\nname = \"calm\"\nseconds = 1\n"
                             "[[phase]]\nname = \"storm\"\nseconds = 1.5\n"
                             "faults = [\"lock-storm\"]\nreload = true\n"
                             "[[phase]]\nseconds = 0.5\nthreads = 1\n";
  EngineProcess engine(std::string("[plugins.metrics]\npath = \"") + NQ_PLUGIN_PATH +
                           "\"\n[plugins.metrics.settings]\nlisten = \"127.0.0.1:0\"\n" + kWorkload,
                       {"--scenario", scenario});
  const auto port_text =
      engine.wait_for_log(std::regex("serving http://127\\.0\\.0\\.1:([0-9]+)/metrics"), 10s);
  ASSERT_TRUE(port_text) << engine.log();
  ASSERT_TRUE(engine.wait_for_log(std::regex("scenario: reloaded "), 10s)) << engine.log();
  std::this_thread::sleep_for(500ms);  // into the storm, after the reload
  const auto reply =
      nq::testing::http_get("127.0.0.1", static_cast<uint16_t>(std::stoi(*port_text)), "/metrics");
  ASSERT_EQ(reply.status, 200) << reply.error;
  EXPECT_EQ(nq::testing::sample_value(reply.body,
                                      R"(neuroquantum_plugin_reloads_total{result="success"})"),
            1);
  EXPECT_GT(nq::testing::sample_value(reply.body, "neuroquantum_deadlocks_total").value_or(0), 0)
      << "the storm's faults are on";

  ASSERT_EQ(engine.wait(15s), 0) << "stops after the last phase\n" << engine.log();
  const std::string log = engine.log();
  EXPECT_NE(log.find("seed 42"), std::string::npos) << "the scenario's seed";
  EXPECT_NE(log.find("scenario phase 1/3 'calm'"), std::string::npos) << log;
  EXPECT_NE(log.find("scenario phase 2/3 'storm': 2 threads, 400 queries/s, faults: lock-storm "
                     "for 1.5 s, reloading the plugin first"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("scenario phase 3/3 'phase 3': 1 threads"), std::string::npos) << log;
  EXPECT_NE(log.find("scenario " + scenario + " done"), std::string::npos) << log;
  fs::remove_all(dir);
}

TEST(MockEngine, BadScenarioExitsWithCode2NamingFileLineAndKey) {
  const std::string scenario =
      fs::temp_directory_path() / ("nq-bad-scenario-" + std::to_string(getpid()) + ".toml");
  std::ofstream(scenario) << "scenario_version = 1\n[[phase]]\nsecond = 1\n";
  EngineProcess engine(kWorkload, {"--scenario", scenario});
  ASSERT_EQ(engine.wait(10s), 2);
  EXPECT_NE(engine.log().find(scenario + ":3:1: phase.second: unknown key"), std::string::npos)
      << engine.log();
  fs::remove(scenario);
}

}  // namespace
