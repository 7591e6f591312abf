// Samples of a Prometheus text exposition (format 0.0.4), parsed, so that a
// test asserts on (name, labels, value) instead of grepping text.
//
//   std::string error;
//   const auto samples = parse_exposition(body, error);
//   ASSERT_TRUE(samples) << error;
//   EXPECT_EQ(value_of(*samples, "neuroquantum_queries_total",
//                      {{"query_type", "select"}, {"status", "success"}}), 3);
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nq::testing {

struct Sample {
  std::string name;                           // with its suffix: x_bucket, x_total...
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};
using Samples = std::vector<Sample>;

// nullopt when a line is not a comment, a blank line or a valid sample;
// `error` then says which line ("line N: 'THE LINE'").
std::optional<Samples> parse_exposition(std::string_view text, std::string& error);

// The value of the sample with exactly this name and these labels.
std::optional<double> value_of(const Samples& samples, std::string_view name,
                               const std::map<std::string, std::string>& labels = {});

// The sum of every sample of this name, whatever its labels.
double sum_of(const Samples& samples, std::string_view name);

}  // namespace nq::testing
