// TLS, mutual TLS, basic auth and response headers of the plugin's listener,
// configured by a web config file, over real loopback sockets. The test CA,
// server and client certificates are made at test time with the openssl CLI;
// HTTPS requests are made with curl.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "credentials.hpp"
#include "nq/nq_host.h"
#include "nq/testing/http_client.hpp"
#include "test_engine.hpp"

namespace {

namespace fs = std::filesystem;
using nq::testing::basic_authorization;
using nq::testing::bcrypt_hash;
using nq::testing::http_exchange;
using nq::testing::sample_value;
using nq::testing::TestEngine;
using namespace std::chrono_literals;

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A CA, a server certificate for 127.0.0.1, a client certificate it signed,
// and a client certificate of another CA.
class TestPki {
 public:
  TestPki() : dir_(fs::temp_directory_path() / ("nq-pki-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    std::ofstream(dir_ / "server.ext") << "subjectAltName=IP:127.0.0.1\n";
    const std::string d = dir_.string();
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    for (const std::string ca : {"ca", "rogue-ca"}) {
      must("openssl req -x509 " + ec + " -keyout " + d + "/" + ca + ".key -out " + d + "/" + ca +
           ".crt -days 2 -subj /CN=" + ca);
    }
    issue("server", "ca", "127.0.0.1", "-extfile " + d + "/server.ext");
    issue("client", "ca", "prometheus", "");
    issue("rogue-client", "rogue-ca", "prometheus", "");
    issue("other-server", "ca", "127.0.0.1", "-extfile " + d + "/server.ext");
  }
  ~TestPki() { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Writes a web config file and returns its path.
  std::string web_config(const std::string& yaml) const {
    std::ofstream(dir_ / "web.yml") << yaml;
    return path("web.yml");
  }

 private:
  void must(const std::string& command) {
    const auto r = run(command);
    ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.output;
  }
  void issue(const std::string& name, const std::string& ca, const std::string& cn,
             const std::string& extra) {
    const std::string d = dir_.string();
    must("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + d + "/" +
         name + ".key -out " + d + "/" + name + ".csr -subj /CN=" + cn);
    must("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/" + ca + ".crt -CAkey " +
         d + "/" + ca + ".key -CAcreateserial -days 2 -out " + d + "/" + name + ".crt " + extra);
  }

  fs::path dir_;
};

class HttpSecurity : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.settings["listen"] = "127.0.0.1:0";
    host_ = engine_.create_host();
    ASSERT_NE(host_, nullptr);
  }
  void TearDown() override { nq_host_destroy(host_); }

  nq_status load_with(const std::string& web_config_yaml) {
    engine_.settings["web_config_file"] = pki_.web_config(web_config_yaml);
    err_[0] = '\0';
    return nq_host_load(host_, NQ_PLUGIN_PATH, err_, sizeof err_);
  }

  // curl's HTTP status for https://127.0.0.1:PORT/PATH ("000": no answer).
  std::string https_status(const std::string& curl_options, const std::string& path = "/metrics") {
    const auto r = run("curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --cacert " +
                       pki_.path("ca.crt") + " " + curl_options +
                       " https://127.0.0.1:" + std::to_string(engine_.metrics_port()) + path);
    return r.output.substr(r.output.size() >= 3 ? r.output.size() - 3 : 0);
  }

  TestPki pki_;
  TestEngine engine_;
  nq_host* host_ = nullptr;
  char err_[512] = {};
};

TEST_F(HttpSecurity, BasicAuthGuardsEveryPathAndCountsFailures) {
  ASSERT_EQ(load_with("basic_auth_users:\n  prometheus: " + bcrypt_hash("s3cret") + "\n"), NQ_OK)
      << err_;
  const uint16_t port = engine_.metrics_port();
  auto get = [&](const std::string& path, const std::string& header) {
    return http_exchange("127.0.0.1", port,
                         "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close" +
                             (header.empty() ? "" : "\r\n" + header));
  };
  const auto missing = get("/metrics", "");
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.headers.find("WWW-Authenticate: Basic realm=\"nq-metrics\""), std::string::npos)
      << missing.headers;
  EXPECT_EQ(get("/metrics", "Authorization: " + basic_authorization("prometheus:wrong")).status,
            401);
  EXPECT_EQ(get("/-/healthy", "").status, 401);
  EXPECT_EQ(get("/metrics", "Authorization: " + basic_authorization("intruder:s3cret")).status,
            401);
  const auto ok = get("/metrics", "Authorization: " + basic_authorization("prometheus:s3cret"));
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(sample_value(ok.body, "neuroquantum_plugin_http_auth_failures_total"), 4);
}

TEST_F(HttpSecurity, TlsServesScrapesWithItsHeadersAndRefusesPlainHttpAndOldVersions) {
  ASSERT_EQ(load_with("tls_server_config:\n"
                      "  cert_file: server.crt\n"  // relative to the web config file
                      "  key_file: server.key\n"
                      "  min_version: TLS13\n"
                      "http_server_config:\n"
                      "  headers:\n"
                      "    Strict-Transport-Security: max-age=31536000\n"),
            NQ_OK)
      << err_;
  EXPECT_EQ(https_status(""), "200");
  const auto headers =
      run("curl -sS -D - -o /dev/null --cacert " + pki_.path("ca.crt") +
          " https://127.0.0.1:" + std::to_string(engine_.metrics_port()) + "/metrics");
  EXPECT_NE(headers.output.find("Strict-Transport-Security: max-age=31536000"), std::string::npos)
      << headers.output;
  EXPECT_EQ(https_status("--tls-max 1.2"), "000") << "TLS 1.2 is below min_version";
  EXPECT_EQ(
      http_exchange("127.0.0.1", engine_.metrics_port(), "GET /metrics HTTP/1.1\r\nHost: x").status,
      0)
      << "plain HTTP on a TLS port gets no HTTP answer";
  EXPECT_EQ(https_status(""), "200") << "still serving";
}

TEST_F(HttpSecurity, MutualTlsAcceptsOnlyCertificatesOfTheClientCa) {
  ASSERT_EQ(load_with("tls_server_config:\n"
                      "  cert_file: server.crt\n"
                      "  key_file: server.key\n"
                      "  client_auth_type: RequireAndVerifyClientCert\n"
                      "  client_ca_file: ca.crt\n"),
            NQ_OK)
      << err_;
  EXPECT_EQ(https_status(""), "000") << "no client certificate";
  EXPECT_EQ(https_status("--cert " + pki_.path("rogue-client.crt") + " --key " +
                         pki_.path("rogue-client.key")),
            "000")
      << "a client certificate of another CA";
  EXPECT_EQ(https_status("--cert " + pki_.path("client.crt") + " --key " + pki_.path("client.key")),
            "200");
}

TEST_F(HttpSecurity, BadFilesFailWithAClearMessageAndTheEngineKeepsRunning) {
  EXPECT_EQ(load_with("tls_server_config: {cert_file: missing.crt, key_file: server.key}"),
            NQ_ERR_CREATE_FAILED);
  EXPECT_NE(std::string(err_).find("missing.crt cannot be read"), std::string::npos) << err_;
  EXPECT_TRUE(engine_.wait_for_log("missing.crt cannot be read", 1s)) << "in the engine's log";

  EXPECT_EQ(load_with("tls_server_config: {cert_file: server.crt, key_file: other-server.key}"),
            NQ_ERR_START_FAILED);
  EXPECT_NE(std::string(err_).find("cannot be used with the certificate"), std::string::npos)
      << err_;
  EXPECT_TRUE(engine_.wait_for_log("cannot be used with the certificate", 1s));

  EXPECT_EQ(load_with("tls_server_config: {cert_file: server.crt, key_file: server.key, "
                      "min_version: SSL3}"),
            NQ_ERR_CREATE_FAILED);
  EXPECT_NE(std::string(err_).find("tls_server_config.min_version"), std::string::npos) << err_;

  ASSERT_EQ(load_with("tls_server_config: {cert_file: server.crt, key_file: server.key}"), NQ_OK)
      << err_;
  EXPECT_EQ(https_status(""), "200");
}

TEST_F(HttpSecurity, AReloadWithABadWebConfigKeepsTheOldCopyServing) {
  ASSERT_EQ(load_with("basic_auth_users:\n  prometheus: " + bcrypt_hash("s3cret") + "\n"), NQ_OK)
      << err_;
  pki_.web_config("basic_auth_users:\n  prometheus: not-a-hash\n");
  char err[512] = {};
  EXPECT_NE(nq_host_reload(host_, NQ_PLUGIN_PATH, err, sizeof err), NQ_OK);
  EXPECT_NE(std::string(err).find("basic_auth_users.prometheus: not a bcrypt hash"),
            std::string::npos)
      << err;
  const auto ok = http_exchange("127.0.0.1", engine_.metrics_port(),
                                "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                "Authorization: " +
                                    basic_authorization("prometheus:s3cret"));
  EXPECT_EQ(ok.status, 200) << "the old copy, with its config, still serves";
}

}  // namespace
