// The web config file (exporter-toolkit format), its snapshot, the rate
// limiter and basic auth with bcrypt.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "credentials.hpp"
#include "http/basic_auth.hpp"
#include "http/rate_limit.hpp"
#include "http/web_config.hpp"
#include "http/web_security.hpp"

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
  EXPECT_EQ(config->tls->cert.file, "/etc/nq/server.crt");  // relative to the file
  EXPECT_EQ(config->tls->key.file, "/abs/server.key");
  EXPECT_EQ(config->tls->client_ca.file, "/etc/nq/ca.crt");
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
            "tls_server_config: key or key_file is required");
  EXPECT_EQ(parse_error("tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, "
                        "max_version: TLS12}"),
            "tls_server_config: max_version is below min_version");
  EXPECT_EQ(parse_error("tls_config: {}"),
            "tls_config: unknown key (expected one of tls_server_config, http_server_config, "
            "rate_limit, basic_auth_users)");
  EXPECT_EQ(parse_error("tls_server_config: {cert_file: a, key_file: b, ca_file: c}"),
            "tls_server_config.ca_file: unknown key (expected one of cert, cert_file, key, "
            "key_file, client_ca, client_ca_file, client_auth_type, client_allowed_sans, "
            "cipher_suites, curve_preferences, prefer_server_cipher_suites, min_version, "
            "max_version)");
  EXPECT_EQ(parse_error("basic_auth_users: {alice: secret}")
                .rfind("basic_auth_users.alice: not a bcrypt hash", 0),
            0u);
  EXPECT_EQ(parse_error("http_server_config: {headers: {Server: evil}}")
                .rfind("http_server_config.headers.Server: not a header that may be set", 0),
            0u);
  EXPECT_EQ(parse_error("basic_auth_users: [unclosed").rfind("not valid YAML", 0), 0u);
  EXPECT_EQ(parse_error("- a list"), "web config: expected a mapping of keys to values");
}

// A parse that must succeed.
WebConfig parsed(const std::string& yaml) {
  std::string error;
  auto config = parse_web_config(yaml, "/etc/nq", error);
  EXPECT_TRUE(config) << yaml << "\n" << error;
  return config ? std::move(*config) : WebConfig{};
}

constexpr const char* kTls = "tls_server_config: {cert_file: a, key_file: b, ";

TEST(WebConfig, HeaderValuesAreCheckedAsExporterToolkitChecksThem) {
  const auto config = parsed(R"(
http_server_config:
  http2: true
  headers:
    X-Content-Type-Options: nosniff
    X-Frame-Options: sameorigin
    Content-Security-Policy: "default-src 'self'"
    X-XSS-Protection: 1; mode=block
    Strict-Transport-Security:
)");
  ASSERT_EQ(config.headers.size(), 5u);
  EXPECT_EQ(config.headers[1].second, "sameorigin");
  EXPECT_EQ(config.headers[4].second, "");  // an empty value, as exporter-toolkit sets it
  EXPECT_EQ(parsed("http_server_config: {headers: {X-Frame-Options: deny}}").headers.size(), 1u);
  EXPECT_EQ(parse_error("http_server_config: {headers: {X-Content-Type-Options: NOSNIFF}}"),
            "http_server_config.headers.X-Content-Type-Options: 'NOSNIFF' is not one of nosniff");
  EXPECT_EQ(parse_error("http_server_config: {headers: {X-Frame-Options: DENY}}"),
            "http_server_config.headers.X-Frame-Options: 'DENY' is not one of deny, sameorigin");
  EXPECT_EQ(parse_error("http_server_config: {headers: {X-Frame-Options: allow-from x}}"),
            "http_server_config.headers.X-Frame-Options: 'allow-from x' is not one of deny, "
            "sameorigin");
  EXPECT_EQ(parse_error("http_server_config: {headers: {Set-Cookie: a=b}}"),
            "http_server_config.headers.Set-Cookie: not a header that may be set; one of "
            "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
            "X-XSS-Protection, Content-Security-Policy");
  EXPECT_EQ(parse_error("http_server_config: {http2: sometimes}"),
            "http_server_config.http2: expected true or false");
  EXPECT_EQ(parse_error("http_server_config: {keep_alive: true}"),
            "http_server_config.keep_alive: unknown key (expected one of http2, headers)");
}

TEST(WebConfig, TlsWithoutACertificateServesPlainHttpAsExporterToolkitDoes) {
  const auto versions_only = parsed("tls_server_config: {min_version: TLS13}");
  EXPECT_FALSE(versions_only.tls);
  ASSERT_EQ(versions_only.notes.size(), 1u);
  EXPECT_NE(versions_only.notes[0].find("serving plain HTTP"), std::string::npos);
  EXPECT_FALSE(parsed("tls_server_config: {}").tls);
  EXPECT_TRUE(parsed("tls_server_config: {}").notes.empty());
  const auto nulls = parsed("tls_server_config:\nhttp_server_config:\nrate_limit:\n");
  EXPECT_FALSE(nulls.tls);
  EXPECT_FALSE(nulls.rate_limit);
  // What turns TLS on, as exporter-toolkit's IsEnabled(), then needs a certificate.
  EXPECT_EQ(parse_error("tls_server_config: {client_auth_type: RequireAndVerifyClientCert}"),
            "tls_server_config: cert or cert_file is required");
  EXPECT_EQ(parse_error("tls_server_config: {key_file: b}"),
            "tls_server_config: cert or cert_file is required");
  EXPECT_EQ(parsed(std::string(kTls) + "}").tls->max_version, TLS1_3_VERSION);
}

TEST(WebConfig, ClientCertificatesWithAndWithoutAClientCa) {
  for (const std::string mode : {"VerifyClientCertIfGiven", "RequireAndVerifyClientCert"}) {
    const auto config = parsed(std::string(kTls) + "client_auth_type: " + mode + "}");
    ASSERT_TRUE(config.tls) << mode;
    EXPECT_TRUE(config.tls->verifies_client_certs());  // against the system's roots
    EXPECT_FALSE(config.tls->client_ca.given());
  }
  for (const std::string mode : {"RequestClientCert", "RequireAnyClientCert"}) {
    const auto config =
        parsed(std::string(kTls) + "client_auth_type: " + mode + ", client_ca_file: ca.crt}");
    ASSERT_TRUE(config.tls) << mode;
    EXPECT_FALSE(config.tls->verifies_client_certs());  // the CA is only named to the client
    EXPECT_EQ(config.tls->client_ca.file, "/etc/nq/ca.crt");
  }
  EXPECT_EQ(parsed(std::string(kTls) + "client_auth_type: RequireClientCert}").tls->client_auth,
            ClientAuth::require_any_client_cert);
  const std::string no_policy =
      "tls_server_config.client_auth_type: a client CA is given but NoClientCert asks clients "
      "for no certificate (use RequireAndVerifyClientCert)";
  EXPECT_EQ(parse_error(std::string(kTls) + "client_ca_file: ca.crt}"), no_policy);
  EXPECT_EQ(parse_error(std::string(kTls) + "client_auth_type: '', client_ca: x}"), no_policy);
}

TEST(WebConfig, InlinePemOrItsFileButNotBoth) {
  const auto config = parsed(R"(
tls_server_config:
  cert: |
    -----BEGIN CERTIFICATE-----
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca: "-----BEGIN CERTIFICATE-----"
)");
  ASSERT_TRUE(config.tls);
  EXPECT_EQ(config.tls->cert.text, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_TRUE(config.tls->cert.file.empty());
  EXPECT_EQ(config.tls->key.file, "/etc/nq/server.key");
  EXPECT_EQ(config.tls->client_ca.text, "-----BEGIN CERTIFICATE-----");
  EXPECT_EQ(parse_error("tls_server_config: {cert: x, cert_file: a, key: y}"),
            "tls_server_config: cert and cert_file are both given: give one (exporter-toolkit "
            "would silently use cert_file)");
  EXPECT_EQ(parse_error("tls_server_config: {cert: x, key: y, key_file: b}"),
            "tls_server_config: key and key_file are both given: give one (exporter-toolkit "
            "would silently use key_file)");
  EXPECT_EQ(
      parse_error(std::string(kTls) + "client_auth_type: RequireAndVerifyClientCert, client_ca: x, "
                                      "client_ca_file: c}"),
      "tls_server_config: client_ca and client_ca_file are both given: give one "
      "(exporter-toolkit would silently use client_ca_file)");
}

TEST(WebConfig, ClientAllowedSansNeedClientCertificates) {
  const auto config = parsed(std::string(kTls) +
                             "client_auth_type: RequireAndVerifyClientCert, "
                             "client_allowed_sans: [prometheus.example.com, 10.0.0.1]}");
  EXPECT_EQ(config.tls->client_allowed_sans,
            (std::vector<std::string>{"prometheus.example.com", "10.0.0.1"}));
  EXPECT_EQ(parse_error(std::string(kTls) + "client_allowed_sans: [a]}"),
            "tls_server_config.client_allowed_sans: given, but client_auth_type NoClientCert asks "
            "clients for no certificate to check (use RequireAndVerifyClientCert)");
  EXPECT_EQ(parse_error(std::string(kTls) +
                        "client_auth_type: RequireAnyClientCert, client_allowed_sans: []}"),
            "tls_server_config.client_allowed_sans: an empty list would refuse every client");
  EXPECT_EQ(parse_error(std::string(kTls) +
                        "client_auth_type: RequireAnyClientCert, client_allowed_sans: a}"),
            "tls_server_config.client_allowed_sans: expected a list");
}

TEST(WebConfig, CipherSuitesAreGoNamesMappedToOpenSslForTls12Only) {
  const auto config =
      parsed(std::string(kTls) +
             "cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "
             "TLS_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "
             "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA]}");
  EXPECT_EQ(config.tls->tls12_ciphers,
            (std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256",
                                      "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-AES256-SHA"}));
  EXPECT_TRUE(config.tls->prefer_server_cipher_suites);  // exporter-toolkit's default
  EXPECT_FALSE(parsed(std::string(kTls) + "prefer_server_cipher_suites: false}")
                   .tls->prefer_server_cipher_suites);
  EXPECT_EQ(parse_error(std::string(kTls) + "prefer_server_cipher_suites: 2}"),
            "tls_server_config.prefer_server_cipher_suites: expected true or false");
  EXPECT_EQ(parse_error(std::string(kTls) + "cipher_suites: [ECDHE-RSA-AES128-GCM-SHA256]}")
                .rfind("tls_server_config.cipher_suites: 'ECDHE-RSA-AES128-GCM-SHA256' is not "
                       "one of TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, ",
                       0),
            0u);
  // Insecure in Go 1.25, so not accepted by exporter-toolkit either.
  EXPECT_NE(parse_error(std::string(kTls) + "cipher_suites: [TLS_RSA_WITH_AES_128_GCM_SHA256]}")
                .find("'TLS_RSA_WITH_AES_128_GCM_SHA256' is not one of"),
            std::string::npos);
  EXPECT_EQ(parse_error(std::string(kTls) + "cipher_suites: [TLS_AES_128_GCM_SHA256]}"),
            "tls_server_config.cipher_suites: names only TLS 1.3 suites, which cipher_suites "
            "does not restrict, so TLS 1.2 would have no cipher; add a TLS 1.2 suite or set "
            "min_version: TLS13");
  EXPECT_TRUE(
      parsed(std::string(kTls) + "min_version: TLS13, cipher_suites: [TLS_AES_128_GCM_SHA256]}")
          .tls->tls12_ciphers.empty());
  EXPECT_TRUE(parsed(std::string(kTls) + "cipher_suites: []}").tls->tls12_ciphers.empty());
}

TEST(WebConfig, CurvePreferencesAreGoNamesMappedToOpenSslGroups) {
  EXPECT_EQ(parsed(std::string(kTls) + "curve_preferences: [X25519, CurveP384, X25519, CurveP521]}")
                .tls->groups,
            (std::vector<std::string>{"X25519", "P-384", "P-521"}));
  EXPECT_EQ(parse_error(std::string(kTls) + "curve_preferences: [P-256]}"),
            "tls_server_config.curve_preferences: 'P-256' is not one of CurveP256, CurveP384, "
            "CurveP521, X25519");
}

TEST(WebConfig, RateLimitIsABucketOfBurstRequestsRefilledEachInterval) {
  using namespace std::chrono_literals;
  const auto limit = parsed("rate_limit: {interval: 1m30s, burst: 10}").rate_limit;
  ASSERT_TRUE(limit);
  EXPECT_EQ(limit->interval, 90s);
  EXPECT_EQ(limit->burst, 10u);
  EXPECT_EQ(parsed("rate_limit: {interval: 1.5ms, burst: 1}").rate_limit->interval, 1500us);
  EXPECT_EQ(parsed("rate_limit: {interval: 250us, burst: 1}").rate_limit->interval, 250us);
  EXPECT_FALSE(parsed("rate_limit: {interval: 0, burst: 0}").rate_limit);  // exporter-toolkit: off
  EXPECT_FALSE(parsed("rate_limit: {interval: 0s, burst: 5}").rate_limit);
  EXPECT_FALSE(parsed("rate_limit: {burst: 5}").rate_limit);
  EXPECT_EQ(parse_error("rate_limit: {interval: 1s, burst: 0}"),
            "rate_limit.burst: 0 with an interval would refuse every request (429); give at "
            "least 1, or an interval of 0 for no limit");
  EXPECT_EQ(parse_error("rate_limit: {interval: 5, burst: 1}"),
            "rate_limit.interval: '5' is not a duration such as 1s, 250ms or 1m30s (a bare "
            "number would be nanoseconds)");
  EXPECT_EQ(parse_error("rate_limit: {interval: -1s, burst: 1}"),
            "rate_limit.interval: '-1s' is not a duration such as 1s, 250ms or 1m30s");
  EXPECT_EQ(parse_error("rate_limit: {interval: 1 s, burst: 1}"),
            "rate_limit.interval: '1 s' is not a duration such as 1s, 250ms or 1m30s");
  EXPECT_EQ(parse_error("rate_limit: {interval: 1s, burst: -2}"),
            "rate_limit.burst: '-2' is not a number of requests from 0 to 2147483647");
  EXPECT_EQ(parse_error("rate_limit: {interval: 1s, rate: 3}"),
            "rate_limit.rate: unknown key (expected one of interval, burst)");
}

TEST(RateLimiter, AllowsBurstAtOnceThenOnePerInterval) {
  using namespace std::chrono_literals;
  serving::RateLimiter limiter(RateLimit{1s, 3});
  const auto t0 = std::chrono::steady_clock::time_point(1000s);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_take(t0)) << i;
  EXPECT_FALSE(limiter.try_take(t0));
  EXPECT_FALSE(limiter.try_take(t0 + 999ms));
  EXPECT_TRUE(limiter.try_take(t0 + 1s));
  EXPECT_FALSE(limiter.try_take(t0 + 1s));
  // Idle for long: the bucket holds `burst`, no more.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_take(t0 + 60s)) << i;
  EXPECT_FALSE(limiter.try_take(t0 + 60s));
}

TEST(RateLimiter, ConcurrentTakersShareTheBucketExactly) {
  using namespace std::chrono_literals;
  serving::RateLimiter limiter(RateLimit{1h, 100});
  const auto now = std::chrono::steady_clock::time_point(1000s);
  std::atomic<int> taken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) taken += limiter.try_take(now) ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(taken.load(), 100);
}

TEST(WebSecurity, AReloadKeepsTheRateLimiterWhenTheLimitIsTheSame) {
  std::string error;
  const auto first =
      serving::build_web_security(parsed("rate_limit: {interval: 1s, burst: 2}"), nullptr, error);
  ASSERT_TRUE(first) << error;
  const auto same = serving::build_web_security(
      parsed("rate_limit: {interval: 1s, burst: 2}\nhttp_server_config: {headers: "
             "{X-Frame-Options: deny}}"),
      first.get(), error);
  ASSERT_TRUE(same) << error;
  EXPECT_EQ(same->rate_limiter, first->rate_limiter);
  EXPECT_EQ(same->headers.size(), 1u);
  const auto other = serving::build_web_security(parsed("rate_limit: {interval: 1s, burst: 3}"),
                                                 first.get(), error);
  ASSERT_TRUE(other) << error;
  EXPECT_NE(other->rate_limiter, first->rate_limiter);
  EXPECT_FALSE(serving::build_web_security(parsed(""), first.get(), error)->rate_limiter);
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
