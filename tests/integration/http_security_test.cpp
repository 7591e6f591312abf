// TLS, mutual TLS, basic auth, response headers and rate limit of the
// plugin's listener, configured by a web config file as exporter-toolkit
// reads it, and its reload when the files change, over real loopback
// sockets. The test CA, server and client certificates are made at test
// time with the openssl CLI; HTTPS requests are made with curl, handshakes
// that need a cipher or group of their own with openssl s_client.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

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

// Polls `condition` until it holds or `timeout` passed (the web config is
// checked for changes every second).
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(6)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// The PEM text of a file, indented to be a YAML block scalar's lines.
std::string indented(const std::string& text) {
  std::string out;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = std::min(text.find('\n', begin), text.size());
    out += "    " + text.substr(begin, end - begin) + "\n";
    begin = end + 1;
  }
  return out;
}

// A CA, a server certificate for 127.0.0.1 (and another one), a client
// certificate it signed without SANs and three with SANs, and a client
// certificate of another CA.
class TestPki {
 public:
  TestPki() : dir_(fs::temp_directory_path() / ("nq-pki-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    std::ofstream(dir_ / "server.ext") << "subjectAltName=IP:127.0.0.1\n";
    std::ofstream(dir_ / "dns-client.ext") << "subjectAltName=DNS:prometheus.example.com\n";
    std::ofstream(dir_ / "ip-client.ext") << "subjectAltName=IP:10.0.0.7\n";
    std::ofstream(dir_ / "intruder-client.ext") << "subjectAltName=DNS:intruder.example.com\n";
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
    for (const std::string client : {"dns-client", "ip-client", "intruder-client"}) {
      issue(client, "ca", "prometheus", "-extfile " + d + "/" + client + ".ext");
    }
  }
  ~TestPki() { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string read(const std::string& name) const {
    std::ifstream file(dir_ / name);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  }
  // Writes a file whole (renamed into place, as deployment tools do, so a
  // watcher never reads half of it) and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / (name + ".new")) << text;
    fs::rename(dir_ / (name + ".new"), dir_ / name);
    return path(name);
  }
  // Writes the web config file and returns its path.
  std::string web_config(const std::string& yaml) const { return write("web.yml", yaml); }
  // "serial=..." of a certificate file.
  std::string serial_of(const std::string& name) const {
    return run("openssl x509 -noout -serial -in " + path(name)).output;
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

  std::string port() { return std::to_string(engine_.metrics_port()); }

  // openssl s_client's handshake with the listener; exit code 0 when it
  // succeeded (-brief prints the protocol and cipher).
  CommandResult handshake(const std::string& options) {
    return run("openssl s_client -brief -connect 127.0.0.1:" + port() + " " + options +
               " </dev/null");
  }
  // "serial=..." of the certificate the listener serves now.
  std::string served_serial() {
    return run("openssl s_client -connect 127.0.0.1:" + port() +
               " </dev/null 2>/dev/null | openssl x509 -noout -serial")
        .output;
  }

  // GET /metrics over plain HTTP, with an Authorization header when given.
  nq::testing::HttpReply scrape(const std::string& credentials = "") {
    return http_exchange(
        "127.0.0.1", engine_.metrics_port(),
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close" +
            (credentials.empty() ? std::string()
                                 : "\r\nAuthorization: " + basic_authorization(credentials)));
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

// ---- What each key of exporter-toolkit's web config means here ----------

TEST_F(HttpSecurity, HeaderValuesAreRefusedAsExporterToolkitRefusesThem) {
  EXPECT_EQ(load_with("http_server_config:\n  headers:\n    X-Frame-Options: DENY\n"),
            NQ_ERR_CREATE_FAILED);
  EXPECT_NE(
      std::string(err_).find(
          "http_server_config.headers.X-Frame-Options: 'DENY' is not one of deny, sameorigin"),
      std::string::npos)
      << err_;
  EXPECT_EQ(load_with("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n"),
            NQ_ERR_CREATE_FAILED);
  EXPECT_NE(std::string(err_).find("X-Content-Type-Options: 'sniff' is not one of nosniff"),
            std::string::npos)
      << err_;
  ASSERT_EQ(load_with("http_server_config:\n  http2: true\n  headers:\n"
                      "    X-Content-Type-Options: nosniff\n    X-Frame-Options: sameorigin\n"),
            NQ_OK)
      << err_;
  const auto reply = scrape();
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.headers.find("X-Content-Type-Options: nosniff"), std::string::npos);
  EXPECT_NE(reply.headers.find("X-Frame-Options: sameorigin"), std::string::npos);
}

TEST_F(HttpSecurity, TlsConfigWithoutACertificateServesPlainHttpAsExporterToolkitDoes) {
  ASSERT_EQ(load_with("tls_server_config:\n  min_version: TLS13\n"), NQ_OK) << err_;
  EXPECT_EQ(scrape().status, 200);
  EXPECT_TRUE(engine_.wait_for_log("serving plain HTTP, as exporter-toolkit does", 1s));
}

TEST_F(HttpSecurity, VerifyClientCertIfGivenWithoutAClientCaVerifiesAgainstTheSystemRoots) {
  ASSERT_EQ(load_with("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                      "  client_auth_type: VerifyClientCertIfGiven\n"),
            NQ_OK)
      << err_;
  EXPECT_EQ(https_status(""), "200") << "no certificate: fine";
  EXPECT_EQ(https_status("--cert " + pki_.path("client.crt") + " --key " + pki_.path("client.key")),
            "000")
      << "a certificate that no system root signed is refused when given";
}

TEST_F(HttpSecurity, RequireAndVerifyClientCertWithoutAClientCaRefusesCertificatesOfOtherCas) {
  ASSERT_EQ(load_with("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                      "  client_auth_type: RequireAndVerifyClientCert\n"),
            NQ_OK)
      << err_;
  EXPECT_EQ(https_status(""), "000");
  EXPECT_EQ(https_status("--cert " + pki_.path("client.crt") + " --key " + pki_.path("client.key")),
            "000");
}

TEST_F(HttpSecurity, ClientCaWithRequireAnyClientCertNamesTheCaButVerifiesNothing) {
  ASSERT_EQ(load_with("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                      "  client_auth_type: RequireAnyClientCert\n  client_ca_file: ca.crt\n"),
            NQ_OK)
      << err_;
  EXPECT_EQ(https_status(""), "000") << "a certificate is required";
  EXPECT_EQ(https_status("--cert " + pki_.path("rogue-client.crt") + " --key " +
                         pki_.path("rogue-client.key")),
            "200")
      << "any certificate, as Go's RequireAnyClientCert";
  const auto request = run("openssl s_client -connect 127.0.0.1:" + port() + " </dev/null");
  EXPECT_NE(request.output.find("Acceptable client certificate CA names\nCN = ca"),
            std::string::npos)
      << request.output;
}

TEST_F(HttpSecurity, InlineCertificateAndKeyAreServed) {
  EXPECT_EQ(load_with("tls_server_config: {cert: x, cert_file: server.crt, key_file: server.key}"),
            NQ_ERR_CREATE_FAILED);
  EXPECT_NE(std::string(err_).find("cert and cert_file are both given"), std::string::npos) << err_;
  ASSERT_EQ(load_with("tls_server_config:\n  cert: |\n" + indented(pki_.read("other-server.crt")) +
                      "  key: |\n" + indented(pki_.read("other-server.key")) +
                      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca: |\n" +
                      indented(pki_.read("ca.crt"))),
            NQ_OK)
      << err_;
  EXPECT_EQ(served_serial(), pki_.serial_of("other-server.crt"));
  EXPECT_EQ(https_status("--cert " + pki_.path("client.crt") + " --key " + pki_.path("client.key")),
            "200");
  EXPECT_EQ(https_status("--cert " + pki_.path("rogue-client.crt") + " --key " +
                         pki_.path("rogue-client.key")),
            "000");
}

TEST_F(HttpSecurity, ClientAllowedSansAcceptOnlyCertificatesWithOneOfThem) {
  ASSERT_EQ(load_with("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
                      "  client_allowed_sans: [prometheus.example.com, 10.0.0.7]\n"),
            NQ_OK)
      << err_;
  auto with = [&](const std::string& client) {
    return https_status("--cert " + pki_.path(client + ".crt") + " --key " +
                        pki_.path(client + ".key"));
  };
  EXPECT_EQ(with("dns-client"), "200") << "DNS SAN allowed";
  EXPECT_EQ(with("ip-client"), "200") << "IP SAN allowed";
  EXPECT_EQ(with("intruder-client"), "000") << "a SAN not in the list";
  EXPECT_EQ(with("client"), "000") << "no SAN";
  EXPECT_EQ(https_status(""), "000") << "no certificate";
}

TEST_F(HttpSecurity, CipherSuitesRestrictTls12InTheServersOrderAndLeaveTls13Alone) {
  ASSERT_EQ(load_with("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                      "  cipher_suites:\n    - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n"
                      "    - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"),
            NQ_OK)
      << err_;
  const auto refused = handshake("-tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305");
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  const auto chosen =
      handshake("-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384");
  EXPECT_EQ(chosen.exit_code, 0) << chosen.output;
  EXPECT_NE(chosen.output.find("Ciphersuite: ECDHE-ECDSA-AES256-GCM-SHA384"), std::string::npos)
      << "prefer_server_cipher_suites defaults to true: the server's order wins\n"
      << chosen.output;
  const auto tls13 = handshake("-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(tls13.exit_code, 0) << tls13.output;

  pki_.web_config(
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
      "  prefer_server_cipher_suites: false\n"
      "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n");
  EXPECT_TRUE(eventually([&] {
    return handshake("-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384")
               .output.find("Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256") != std::string::npos;
  })) << "prefer_server_cipher_suites: false: the client's order wins";
}

TEST_F(HttpSecurity, CurvePreferencesLimitTheKeyExchangeGroups) {
  ASSERT_EQ(load_with("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                      "  curve_preferences: [CurveP384, X25519]\n"),
            NQ_OK)
      << err_;
  for (const std::string version : {"-tls1_2", "-tls1_3"}) {
    const auto refused = handshake(version + " -groups P-256:P-521");
    EXPECT_NE(refused.exit_code, 0) << version << "\n" << refused.output;
    const auto accepted = handshake(version + " -groups P-256:P-384");
    EXPECT_EQ(accepted.exit_code, 0) << version << "\n" << accepted.output;
  }
}

TEST_F(HttpSecurity, RateLimitAnswers429BeyondTheBurst) {
  ASSERT_EQ(load_with("rate_limit:\n  interval: 1m\n  burst: 3\n"), NQ_OK) << err_;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(scrape().status, 200) << i;
  EXPECT_EQ(scrape().status, 429);
  EXPECT_EQ(http_exchange("127.0.0.1", engine_.metrics_port(),
                          "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close")
                .status,
            429)
      << "every path, as exporter-toolkit";
}

// ---- Reload without restart -----------------------------------------------

TEST_F(HttpSecurity, ACertificateReplacedOnDiskIsServedOnTheNextHandshake) {
  pki_.write("live.crt", pki_.read("server.crt"));
  pki_.write("live.key", pki_.read("server.key"));
  ASSERT_EQ(load_with("tls_server_config: {cert_file: live.crt, key_file: live.key}"), NQ_OK)
      << err_;
  const std::string before = served_serial();
  ASSERT_EQ(before, pki_.serial_of("server.crt"));
  pki_.write("live.key", pki_.read("other-server.key"));
  pki_.write("live.crt", pki_.read("other-server.crt"));
  EXPECT_TRUE(eventually([&] { return served_serial() == pki_.serial_of("other-server.crt"); }))
      << "still serving " << served_serial();
  EXPECT_EQ(https_status(""), "200");
  EXPECT_TRUE(engine_.wait_for_log("reloaded: new connections use it", 1s));
}

TEST_F(HttpSecurity, AChangedUserListAppliesWithoutAReload) {
  ASSERT_EQ(load_with("basic_auth_users:\n  alice: " + bcrypt_hash("a") + "\n"), NQ_OK) << err_;
  EXPECT_EQ(scrape("alice:a").status, 200);
  EXPECT_EQ(scrape("bob:b").status, 401);
  pki_.web_config("basic_auth_users:\n  bob: " + bcrypt_hash("b") + "\n");
  EXPECT_TRUE(eventually([&] { return scrape("bob:b").status == 200; }));
  EXPECT_EQ(scrape("alice:a").status, 401);
  const auto reply = scrape("bob:b");
  EXPECT_EQ(
      sample_value(reply.body, "neuroquantum_plugin_web_config_reloads_total{result=\"success\"}"),
      1);
  EXPECT_EQ(sample_value(reply.body, "neuroquantum_plugin_web_config_last_reload_success"), 1);
}

TEST_F(HttpSecurity, ABrokenNewWebConfigKeepsTheOldOneServingAndIsCounted) {
  const std::string users = "basic_auth_users:\n  alice: " + bcrypt_hash("a") + "\n";
  ASSERT_EQ(load_with(users), NQ_OK) << err_;
  const std::string failures = "neuroquantum_plugin_web_config_reloads_total{result=\"failure\"}";
  const std::string last = "neuroquantum_plugin_web_config_last_reload_success";
  EXPECT_EQ(sample_value(scrape("alice:a").body, last), 1);
  pki_.web_config(users + "rate_limit: {interval: 1s, burst: 0}\n");
  EXPECT_TRUE(eventually([&] { return sample_value(scrape("alice:a").body, failures) == 1; }));
  const auto reply = scrape("alice:a");
  EXPECT_EQ(reply.status, 200) << "the old config still serves";
  EXPECT_EQ(sample_value(reply.body, last), 0);
  EXPECT_TRUE(engine_.wait_for_log(
      "web config not reloaded, the previous one stays in force: " + pki_.path("web.yml") +
          ": rate_limit.burst: 0 with an interval would refuse every request",
      1s));
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(sample_value(scrape("alice:a").body, failures), 1) << "counted once per change";

  pki_.web_config(users);
  EXPECT_TRUE(eventually([&] { return sample_value(scrape("alice:a").body, last) == 1; }));
}

}  // namespace
