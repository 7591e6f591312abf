// The web config file (exporter-toolkit format) and basic auth with bcrypt.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string>

#include "credentials.hpp"
#include "http/basic_auth.hpp"
#include "http/web_config.hpp"

namespace nq::metrics {
namespace {

using nq::testing::basic_authorization;
using nq::testing::bcrypt_hash;

std::string parse_error(const std::string& yaml) {
  std::string error;
  EXPECT_FALSE(parse_web_config(yaml, "/etc/nq", error)) << yaml;
  return error;
}

TEST(WebConfig, ReadsTheExporterToolkitFormat) {
  std::string error;
  const auto config = parse_web_config(R"(
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
http_server_config:
  http2: false
  headers:
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  prometheus: $2y$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
)",
                                       "/etc/nq", error);
  ASSERT_TRUE(config) << error;
  ASSERT_TRUE(config->tls);
  EXPECT_EQ(config->tls->cert_file, "/etc/nq/server.crt");  // relative to the file
  EXPECT_EQ(config->tls->key_file, "/abs/server.key");
  EXPECT_EQ(config->tls->client_ca_file, "/etc/nq/ca.crt");
  EXPECT_EQ(config->tls->client_auth, ClientAuth::require_and_verify_client_cert);
  EXPECT_EQ(config->tls->min_version, TLS1_3_VERSION);
  ASSERT_EQ(config->headers.size(), 1u);
  EXPECT_EQ(config->headers[0].first, "Strict-Transport-Security");
  EXPECT_EQ(config->basic_auth_users.count("prometheus"), 1u);
}

TEST(WebConfig, EmptyFileMeansPlainHttpAndTlsDefaultsToTls12) {
  std::string error;
  const auto empty = parse_web_config("", "", error);
  ASSERT_TRUE(empty) << error;
  EXPECT_FALSE(empty->tls);
  EXPECT_TRUE(empty->basic_auth_users.empty());
  const auto tls = parse_web_config("tls_server_config: {cert_file: a, key_file: b}", "", error);
  ASSERT_TRUE(tls) << error;
  EXPECT_EQ(tls->tls->min_version, TLS1_2_VERSION);
  EXPECT_EQ(tls->tls->client_auth, ClientAuth::no_client_cert);
}

TEST(WebConfig, EveryMistakeIsNamedByItsKey) {
  EXPECT_EQ(parse_error("tls_server_config: {cert_file: a, key_file: b, min_version: TLS9}"),
            "tls_server_config.min_version: 'TLS9' is not one of TLS10, TLS11, TLS12, TLS13");
  EXPECT_NE(parse_error("tls_server_config: {cert_file: a, key_file: b, client_auth_type: Maybe}")
                .find("tls_server_config.client_auth_type: 'Maybe' is not one of NoClientCert"),
            std::string::npos);
  EXPECT_EQ(parse_error("tls_server_config: {cert_file: a}"),
            "tls_server_config: cert_file and key_file are both required");
  EXPECT_EQ(parse_error("tls_server_config: {cert_file: a, key_file: b, client_auth_type: "
                        "RequireAndVerifyClientCert}"),
            "tls_server_config.client_ca_file: required to verify client certificates");
  EXPECT_NE(parse_error("tls_server_config: {cert_file: a, key_file: b, cipher_suites: [X]}")
                .find("tls_server_config.cipher_suites: not supported"),
            std::string::npos);
  EXPECT_EQ(parse_error("tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, "
                        "max_version: TLS12}"),
            "tls_server_config: max_version is below min_version");
  EXPECT_EQ(parse_error("tls_config: {}").rfind("tls_config: unknown key", 0), 0u);
  EXPECT_EQ(parse_error("basic_auth_users: {alice: secret}")
                .rfind("basic_auth_users.alice: not a bcrypt hash", 0),
            0u);
  EXPECT_EQ(parse_error("http_server_config: {headers: {Server: evil}}")
                .rfind("http_server_config.headers.Server: not a header that may be set", 0),
            0u);
  EXPECT_EQ(parse_error("basic_auth_users: [unclosed").rfind("not valid YAML", 0), 0u);
  EXPECT_EQ(parse_error("- a list"), "web config: expected a mapping of keys to values");
}

TEST(WebConfig, ReadingChecksTheFilesItNames) {
  std::string error;
  EXPECT_FALSE(read_web_config("/nonexistent/web.yml", error));
  EXPECT_EQ(error, "/nonexistent/web.yml: cannot be read");
}

TEST(BasicAuth, AcceptsOnlyTheRightPasswordOfAKnownUser) {
  BasicAuth auth(
      {{"prometheus", bcrypt_hash("s3cret: with colon")}, {"ops", bcrypt_hash("other")}});
  ASSERT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.allows(basic_authorization("prometheus:s3cret: with colon")));
  EXPECT_TRUE(auth.allows(basic_authorization("prometheus:s3cret: with colon")));  // from the cache
  EXPECT_TRUE(
      auth.allows("basic " + basic_authorization("ops:other").substr(6)));  // scheme is case-blind
  EXPECT_FALSE(auth.allows(basic_authorization("prometheus:wrong")));
  EXPECT_FALSE(auth.allows(basic_authorization("prometheus:other")));  // another user's password
  EXPECT_FALSE(auth.allows(basic_authorization("nobody:s3cret: with colon")));
  EXPECT_FALSE(auth.allows(basic_authorization("prometheus")));  // no colon
  EXPECT_FALSE(auth.allows(""));
  EXPECT_FALSE(auth.allows("Bearer abc"));
  EXPECT_FALSE(auth.allows("Basic !!!not-base64!!!"));
  EXPECT_FALSE(auth.allows(basic_authorization(std::string("prometheus:s3cret\0x", 19))));
  EXPECT_FALSE(BasicAuth({}).enabled());
}

}  // namespace
}  // namespace nq::metrics
