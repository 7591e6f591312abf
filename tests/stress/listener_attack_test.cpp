// No client can starve the scrape: the real plugin, with its default
// listener settings, is attacked over loopback by nq-listener-attacker (3,000
// connections that dribble an unfinished request head a byte a second and
// 1,000 that send nothing, all reconnecting whenever cut) while it scrapes
// /metrics four times a second on new connections. Every scrape must be
// answered 200 within 1 s; the attack must really be held (thousands of
// connections open at once) and cut (header timeout); the plugin's heap must
// return to where it was once the attack ends. The same over TLS, where the
// attackers never finish their handshakes.
//
// NQ_ATTACK_SECONDS sets the length of each attack (default 60). Figures
// (p50/p99/max, connections held, bytes per held connection) are printed and
// recorded as test properties.
#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "nq/nq_host.h"
#include "nq/testing/exposition_samples.hpp"
#include "nq/testing/http_client.hpp"
#include "test_engine.hpp"

namespace {

namespace fs = std::filesystem;
using nq::testing::TestEngine;
using namespace std::chrono_literals;

constexpr int kDribblers = 3000;
constexpr int kSilent = 1000;
// Both ends of every attacking connection live on this machine: the test
// needs this many descriptors (the plugin may use half of its process's).
constexpr rlim_t kDescriptorsNeeded = 2 * (kDribblers + kSilent) + 1000;

int attack_seconds() {
  const char* text = std::getenv("NQ_ATTACK_SECONDS");
  return text != nullptr && std::atoi(text) > 0 ? std::atoi(text) : 60;
}

size_t heap_in_use() {
  return mallinfo2().uordblks;
}

// "key value" lines of the attacker's report.
std::map<std::string, double> parse_report(const std::string& text) {
  std::map<std::string, double> report;
  std::istringstream lines(text);
  std::string key;
  double value;
  while (lines >> key >> value) report[key] = value;
  return report;
}

class ListenerAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    ASSERT_GE(files.rlim_max, kDescriptorsNeeded)
        << "this machine's open-file hard limit is too low for the attack";
    files.rlim_cur = files.rlim_max;  // as a database server raises its own
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &files), 0);
    engine_.settings["listen"] = "127.0.0.1:0";
    host_ = engine_.create_host();
    ASSERT_NE(host_, nullptr);
  }
  void TearDown() override {
    nq_host_destroy(host_);
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void load() {
    char err[512] = {};
    ASSERT_EQ(nq_host_load(host_, NQ_PLUGIN_PATH, err, sizeof err), NQ_OK) << err;
    port_ = engine_.metrics_port();
  }

  // A self-signed certificate for 127.0.0.1, made with the openssl CLI, and
  // the web config that serves it.
  void use_tls() {
    dir_ = fs::temp_directory_path() / ("nq-attack-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    const std::string d = dir_.string();
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
        d + "/server.key -out " + d + "/server.crt 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::ofstream(dir_ / "web.yml") << "tls_server_config:\n  cert_file: server.crt\n"
                                       "  key_file: server.key\n";
    engine_.settings["web_config_file"] = (dir_ / "web.yml").string();
  }

  std::map<std::string, double> run_attacker(bool tls, int dribblers, int silent, int seconds) {
    const std::string command = std::string(NQ_ATTACKER_PATH) + " --port " + std::to_string(port_) +
                                (tls ? " --tls" : "") + " --dribblers " +
                                std::to_string(dribblers) + " --silent " + std::to_string(silent) +
                                " --seconds " + std::to_string(seconds);
    std::string output;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      std::array<char, 4096> buf;
      size_t n;
      while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) output.append(buf.data(), n);
      ::pclose(pipe);
    }
    return parse_report(output);
  }

  // Runs the attacker; meanwhile samples this process's heap (the plugin's
  // listener lives here). Returns the attacker's report.
  std::map<std::string, double> attack(bool tls) {
    const size_t baseline = heap_in_use();
    std::atomic<bool> done{false};
    size_t peak = baseline;
    std::thread sampler([&] {
      while (!done.load()) {
        peak = std::max(peak, heap_in_use());
        std::this_thread::sleep_for(200ms);
      }
    });
    auto report = run_attacker(tls, kDribblers, kSilent, attack_seconds());
    done.store(true);
    sampler.join();
    report["heap_baseline"] = static_cast<double>(baseline);
    report["heap_peak"] = static_cast<double>(peak);
    return report;
  }

  // Once the attackers are gone: the listener holds (almost) nothing again.
  // Read from the attacker's scrapes with no attack (they speak TLS too).
  double open_connections_after_the_attack(bool tls) {
    double open = -1;
    for (int i = 0; i < 10; ++i) {
      open = run_attacker(tls, 0, 0, 1)["open_max"];
      if (open >= 0 && open <= 2) break;
    }
    return open;
  }

  void expect_scrapes_survive(bool tls) {
    auto report = attack(tls);
    ASSERT_GT(report["scrapes"], 0) << "the attacker reported nothing";
    const double held = report["open_max"];
    const double per_connection = (report["heap_peak"] - report["heap_baseline"]) / held;
    std::printf(
        "%s attack, %d s: %.0f scrapes, %.0f failed; latency p50 %.2f ms, p99 %.2f ms, max %.2f "
        "ms; connections held at most %.0f; attacker connects %.0f, cut %.0f; heap +%.0f KiB at "
        "the peak, %.0f bytes per held connection\n",
        tls ? "TLS" : "plain", attack_seconds(), report["scrapes"], report["failed"],
        report["p50_ms"], report["p99_ms"], report["max_ms"], held, report["attack_connects"],
        report["attack_cuts"], (report["heap_peak"] - report["heap_baseline"]) / 1024,
        per_connection);
    for (const char* key : {"p50_ms", "p99_ms", "max_ms", "open_max", "attack_cuts"}) {
      RecordProperty(key, std::to_string(report[key]));
    }
    RecordProperty("bytes_per_connection", std::to_string(per_connection));

    EXPECT_EQ(report["failed"], 0) << "scrapes not answered 200";
    EXPECT_LT(report["max_ms"], 1000) << "a scrape took a second or more";
    EXPECT_GE(held, 0.95 * (kDribblers + kSilent)) << "the attack was not held at once";
    EXPECT_GE(report["attack_cuts"], kDribblers + kSilent) << "slow clients were not cut";
    EXPECT_LE(open_connections_after_the_attack(tls), 2)
        << "connections left open after the attack";
    const double heap_left = static_cast<double>(heap_in_use()) - report["heap_baseline"];
    EXPECT_LT(heap_left, 4.0 * 1024 * 1024) << "heap not given back after the attack";
  }

  TestEngine engine_;
  nq_host* host_ = nullptr;
  uint16_t port_ = 0;
  fs::path dir_;
};

TEST_F(ListenerAttack, ScrapesAreAnsweredWhileThousandsOfClientsDribbleOrStaySilent) {
  load();
  expect_scrapes_survive(false);
}

TEST_F(ListenerAttack, TlsScrapesAreAnsweredWhileThousandsOfHandshakesNeverFinish) {
  use_tls();
  load();
  expect_scrapes_survive(true);
}

}  // namespace
