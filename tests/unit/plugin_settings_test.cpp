#include "config/plugin_settings.hpp"

#include <gtest/gtest.h>

#include "test_engine.hpp"

namespace nq::metrics {
namespace {

TEST(ListenAddress, ParsesIpv4Ipv6AndLocalhost) {
  auto v4 = parse_listen_address("0.0.0.0:9470");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "0.0.0.0");
  EXPECT_EQ(v4->port, 9470);
  auto v6 = parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->to_string(), "[::1]:0");
  EXPECT_EQ(parse_listen_address("localhost:80")->host, "127.0.0.1");
}

TEST(ListenAddress, RejectsMalformedAddresses) {
  for (const char* bad :
       {"", "9470", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:12x",
        "example.com:80", "[::1]9470", "::1:9470", "[::1:9470", "300.0.0.1:80"}) {
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
  }
}

TEST(Settings, DefaultsToLoopback) {
  nq::testing::TestEngine engine;
  std::string error;
  auto settings = read_settings(engine.services(), error);
  ASSERT_TRUE(settings) << error;
  EXPECT_EQ(settings->listen.to_string(), "127.0.0.1:9470");
}

TEST(Settings, BadValuesNameTheKeyAndTheValue) {
  nq::testing::TestEngine engine;
  engine.settings["listen"] = "nowhere";
  std::string error;
  EXPECT_FALSE(read_settings(engine.services(), error));
  EXPECT_NE(error.find("'listen'"), std::string::npos) << error;
  EXPECT_NE(error.find("'nowhere'"), std::string::npos) << error;

  engine.settings.erase("listen");
  engine.settings["log_level"] = "loud";
  EXPECT_FALSE(read_settings(engine.services(), error));
  EXPECT_NE(error.find("'log_level'"), std::string::npos) << error;
}

TEST(Settings, NativeHistogramSettings) {
  nq::testing::TestEngine engine;
  std::string error;
  auto defaults = read_settings(engine.services(), error);
  ASSERT_TRUE(defaults) << error;
  EXPECT_FALSE(defaults->store.native.enabled);
  EXPECT_EQ(defaults->store.native.schema, 3);
  EXPECT_EQ(defaults->store.native.zero_threshold, 1e-6);
  EXPECT_EQ(defaults->store.native.max_buckets, 160u);

  engine.settings = {{"native_histograms", "true"},
                     {"native_histogram_schema", "-4"},
                     {"native_histogram_zero_threshold_seconds", "1e-9"},
                     {"native_histogram_max_buckets", "0"}};
  auto set = read_settings(engine.services(), error);
  ASSERT_TRUE(set) << error;
  EXPECT_TRUE(set->store.native.enabled);
  EXPECT_EQ(set->store.native.schema, -4);
  EXPECT_EQ(set->store.native.zero_threshold, 1e-9);
  EXPECT_EQ(set->store.native.max_buckets, 0u);

  for (const auto& [key, value] : std::initializer_list<std::pair<std::string, std::string>>{
           {"native_histograms", "yes"},
           {"native_histogram_schema", "9"},
           {"native_histogram_schema", "-5"},
           {"native_histogram_zero_threshold_seconds", "0"},
           {"native_histogram_zero_threshold_seconds", "2"},
           {"native_histogram_max_buckets", "-1"}}) {
    engine.settings = {{key, value}};
    EXPECT_FALSE(read_settings(engine.services(), error)) << key << "=" << value;
    EXPECT_NE(error.find("'" + key + "' = '" + value + "'"), std::string::npos) << error;
  }
}

TEST(Settings, ValuesLongerThanTheFirstBufferAreReadWhole) {
  nq::testing::TestEngine engine;
  const std::string long_value(300, 'x');
  engine.settings["listen"] = long_value;
  std::string error;
  EXPECT_FALSE(read_settings(engine.services(), error));
  EXPECT_NE(error.find("'" + long_value + "'"), std::string::npos) << error;
}

}  // namespace
}  // namespace nq::metrics
