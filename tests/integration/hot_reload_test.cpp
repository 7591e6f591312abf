// Hot reload through the real host runtime and the real plugin builds: state
// carried over, the old copy really unmapped, every failure rolled back, no
// leak of threads, descriptors or mappings.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "nq/nq_host.h"
#include "nq/testing/http_client.hpp"
#include "process_census.hpp"
#include "test_engine.hpp"

namespace {

using nq::testing::http_get;
using nq::testing::is_mapped;
using nq::testing::sample_value;
using nq::testing::TestEngine;

constexpr const char* kSelectSuccess =
    R"(neuroquantum_queries_total{query_type="select",status="success"})";

class HotReload : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.settings["listen"] = "127.0.0.1:0";
    host_ = engine_.create_host(4);
    ASSERT_NE(host_, nullptr);
    ASSERT_EQ(nq_host_load(host_, NQ_PLUGIN_PATH, err_, sizeof err_), NQ_OK) << err_;
    port_ = engine_.metrics_port();
  }
  void TearDown() override { nq_host_destroy(host_); }

  nq_status reload(const std::string& path) {
    err_[0] = '\0';
    return nq_host_reload(host_, path.c_str(), err_, sizeof err_);
  }

  void queries(int n) {
    for (int i = 0; i < n; ++i) {
      nq_query_end_event end{};
      end.struct_size = sizeof end;
      end.query_type = NQ_QUERY_SELECT;
      end.status = NQ_QUERY_SUCCESS;
      end.duration_ns = 2'000'000;
      nq_host_query_end(host_, &end);
    }
  }

  std::string scrape() {
    const auto reply = http_get("127.0.0.1", port_, "/metrics");
    EXPECT_EQ(reply.status, 200) << reply.error;
    return reply.body;
  }

  nq_host_plugin_info info() {
    nq_host_plugin_info i{};
    i.struct_size = sizeof i;
    EXPECT_EQ(nq_host_plugin(host_, &i), NQ_OK);
    return i;
  }

  static std::string str(nq_str s) { return {s.data, s.len}; }

  // The plugin's own word that the copy is loaded: dlopen(RTLD_NOLOAD) of the
  // name the loader knows it by.
  static bool loader_knows(const std::string& loaded_from) {
    void* handle = dlopen(loaded_from.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (handle != nullptr) dlclose(handle);
    return handle != nullptr;
  }

  TestEngine engine_;
  nq_host* host_ = nullptr;
  uint16_t port_ = 0;
  char err_[1024] = {};
};

TEST_F(HotReload, CountersCarryOverAndTheNewBuildTakesOverTheSamePort) {
  queries(7);
  const auto before = info();
  const std::string old_mapping = str(before.mapped_name);
  const std::string old_loaded_from = str(before.loaded_from);
  const std::string old_build = str(before.build_id);  // its text goes with the old copy
  ASSERT_TRUE(is_mapped(old_mapping)) << "control: the check sees the loaded copy";
  ASSERT_TRUE(loader_knows(old_loaded_from)) << "control: the loader knows the loaded copy";

  ASSERT_EQ(reload(NQ_ALTERNATE_PLUGIN_PATH), NQ_OK) << err_;
  const auto after = info();
  EXPECT_EQ(str(after.build_id), old_build + "-alternate");
  EXPECT_EQ(after.reloads, 1u);
  EXPECT_EQ(after.resident_copies, 0u);
  EXPECT_FALSE(is_mapped(old_mapping)) << "the old copy is still mapped";
  EXPECT_FALSE(loader_knows(old_loaded_from)) << "the loader still has the old copy";
  EXPECT_TRUE(is_mapped(str(after.mapped_name)));

  queries(5);
  const std::string text = scrape();  // same port: the socket was handed over
  EXPECT_EQ(sample_value(text, kSelectSuccess), 12);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_query_duration_seconds_count{query_type="select"})"),
            12);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_plugin_reloads_total{result="success"})"), 1);
  EXPECT_NE(text.find("build_id=\"" + str(after.build_id) + "\""), std::string::npos);
}

TEST_F(HotReload, ReplacingTheFileAtTheSamePathPicksUpTheNewBuild) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("nq-reload-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto installed = dir / "libnq_metrics.so";
  std::filesystem::copy_file(NQ_PLUGIN_PATH, installed);
  ASSERT_EQ(reload(installed), NQ_OK) << err_;
  const std::string first_build = str(info().build_id);
  // Install the other build the way package managers do: write beside, rename over.
  std::filesystem::copy_file(NQ_ALTERNATE_PLUGIN_PATH, dir / "new.so");
  std::filesystem::rename(dir / "new.so", installed);
  ASSERT_EQ(reload(installed), NQ_OK) << err_;
  EXPECT_EQ(str(info().build_id), first_build + "-alternate");
  // And overwriting the file in place works too.
  std::filesystem::copy_file(NQ_PLUGIN_PATH, installed,
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(reload(installed), NQ_OK) << err_;
  EXPECT_EQ(str(info().build_id), first_build);
  std::filesystem::remove_all(dir);
}

TEST_F(HotReload, EveryFailureLeavesTheLoadedCopyServing) {
  queries(3);
  const std::string build = str(info().build_id);
  const auto not_elf =
      std::filesystem::temp_directory_path() / ("nq-not-elf-" + std::to_string(getpid()) + ".so");
  std::ofstream(not_elf) << "not a shared object";

  struct Case {
    std::string path;
    nq_status status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"/nonexistent/libnq_metrics.so", NQ_ERR_NOT_FOUND, "does not exist"},
      {not_elf.string(), NQ_ERR_LOAD_FAILED, not_elf.string()},
      {NQ_WRONG_ABI_PLUGIN_PATH, NQ_ERR_ABI_MISMATCH, "plugin ABI 2.0"},
      {NQ_STATE_REJECTING_PLUGIN_PATH, NQ_ERR_STATE_REJECTED, "not supported"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(reload(c.path), c.status) << c.path << ": " << err_;
    EXPECT_NE(std::string(err_).find(c.says), std::string::npos) << err_;
    queries(1);
  }
  // create() fails on a bad setting: named in the error, old copy unharmed.
  engine_.settings["slow_query_seconds"] = "soon";
  EXPECT_EQ(reload(NQ_ALTERNATE_PLUGIN_PATH), NQ_ERR_CREATE_FAILED);
  EXPECT_NE(std::string(err_).find("slow_query_seconds"), std::string::npos) << err_;
  queries(1);
  std::filesystem::remove(not_elf);

  EXPECT_EQ(str(info().build_id), build);
  const std::string text = scrape();
  EXPECT_EQ(sample_value(text, kSelectSuccess), 3 + 4 + 1);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_plugin_reloads_total{result="failure"})"), 5);
  EXPECT_EQ(sample_value(text, R"(neuroquantum_plugin_reloads_total{result="success"})"), 0);

  // After all that, a good reload still carries everything over.
  engine_.settings.erase("slow_query_seconds");
  ASSERT_EQ(reload(NQ_ALTERNATE_PLUGIN_PATH), NQ_OK) << err_;
  const std::string after = scrape();
  EXPECT_EQ(sample_value(after, kSelectSuccess), 8);
  EXPECT_EQ(sample_value(after, R"(neuroquantum_plugin_reloads_total{result="failure"})"), 5);
  EXPECT_EQ(sample_value(after, R"(neuroquantum_plugin_reloads_total{result="success"})"), 1);
}

TEST_F(HotReload, ManyReloadsLeaveNoThreadDescriptorOrMappingBehind) {
  // NQ_RELOAD_ROUNDS=10000 turns this into the soak run of docs/RELOAD.md.
  const char* rounds_env = std::getenv("NQ_RELOAD_ROUNDS");
  const int rounds = rounds_env != nullptr ? std::atoi(rounds_env) : 40;
  ASSERT_EQ(reload(NQ_ALTERNATE_PLUGIN_PATH), NQ_OK) << err_;  // warm up both builds
  ASSERT_EQ(reload(NQ_PLUGIN_PATH), NQ_OK) << err_;
  scrape();
  using nq::testing::back_to;
  using nq::testing::settled;
  const size_t threads = settled(nq::testing::thread_count);
  const size_t fds = settled(nq::testing::open_fd_count);
  const size_t mappings = nq::testing::plugin_mapping_count();
  ASSERT_GT(mappings, 0u) << "the loaded copy must be visible, or the count proves nothing";
  const size_t rss_before = nq::testing::resident_kib();
  for (int i = 0; i < rounds; ++i) {
    ASSERT_EQ(reload(i % 2 == 0 ? NQ_ALTERNATE_PLUGIN_PATH : NQ_PLUGIN_PATH), NQ_OK) << err_;
    queries(1);
  }
  if (rounds % 2 != 0) {
    ASSERT_EQ(reload(NQ_PLUGIN_PATH), NQ_OK) << err_;
  }
  EXPECT_EQ(sample_value(scrape(), kSelectSuccess), rounds);
  EXPECT_LE(back_to(nq::testing::thread_count, threads), threads);
  EXPECT_LE(back_to(nq::testing::open_fd_count, fds), fds);
  EXPECT_EQ(nq::testing::plugin_mapping_count(), mappings);
  RecordProperty("reloads", rounds);
  RecordProperty("rss_kib_before", static_cast<int>(rss_before));
  RecordProperty("rss_kib_after", static_cast<int>(nq::testing::resident_kib()));
  RecordProperty("fds_before", static_cast<int>(fds));
  RecordProperty("fds_after", static_cast<int>(nq::testing::open_fd_count()));
}

TEST(HotReloadPolicy, NeverUnloadKeepsReplacedCopiesMappedAndStillCarriesState) {
  TestEngine engine;
  engine.settings["listen"] = "127.0.0.1:0";
  nq_host_options options{};
  options.struct_size = sizeof options;
  options.thread_slots = 4;
  options.services = &engine.services();
  options.unload_policy = NQ_HOST_NEVER_UNLOAD;
  nq_host* host = nq_host_create(&options);
  ASSERT_NE(host, nullptr);
  char err[1024] = {};
  ASSERT_EQ(nq_host_load(host, NQ_PLUGIN_PATH, err, sizeof err), NQ_OK) << err;
  const uint16_t port = engine.metrics_port();
  nq_host_plugin_info info{};
  info.struct_size = sizeof info;
  ASSERT_EQ(nq_host_plugin(host, &info), NQ_OK);
  const std::string first_copy(info.mapped_name.data, info.mapped_name.len);
  nq_query_end_event end{};
  end.struct_size = sizeof end;
  nq_host_query_end(host, &end);

  ASSERT_EQ(nq_host_reload(host, NQ_ALTERNATE_PLUGIN_PATH, err, sizeof err), NQ_OK) << err;
  nq_host_query_end(host, &end);
  ASSERT_EQ(nq_host_plugin(host, &info), NQ_OK);
  EXPECT_EQ(info.resident_copies, 1u);
  EXPECT_TRUE(is_mapped(first_copy)) << "never unloaded";
  const auto reply = http_get("127.0.0.1", port, "/metrics");
  ASSERT_EQ(reply.status, 200) << reply.error;
  EXPECT_EQ(sample_value(reply.body, kSelectSuccess), 2);
  nq_host_destroy(host);
}

}  // namespace
