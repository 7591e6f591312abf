#include "record/raw_key.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace nq::metrics {
namespace {

nq_str str(const std::string& s) {
  return {s.data(), s.size()};
}

// Every pair of lengths up to the cache's key: the bytes are exactly the first
// part's length, the first part and the second, whatever the buffer held.
TEST(RawKey, APairIsTheFirstLengthThenBothPartsForEveryLength) {
  const std::string letters = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN";
  for (size_t a = 0; a < LabelCache::kKeyBytes; ++a) {
    for (size_t b = 0; a + 1 + b <= LabelCache::kKeyBytes; ++b) {
      const std::string first = letters.substr(0, a), second = letters.substr(a, b);
      char buffer[kRawKeyBufferBytes];
      std::memset(buffer, '#', sizeof buffer);
      const std::string expected = std::string(1, static_cast<char>(a)) + first + second;
      ASSERT_EQ(raw_pair(str(first), str(second), buffer), expected) << a << " + " << b;
    }
  }
}

TEST(RawKey, PartsThatDoNotFitMakeAKeyLongerThanTheCaches) {
  char buffer[kRawKeyBufferBytes];
  const std::string forty(LabelCache::kKeyBytes, 'x');
  EXPECT_GT(raw_pair(str(forty), str(""), buffer).size(), LabelCache::kKeyBytes);
  EXPECT_GT(raw_pair(str("a"), str(forty), buffer).size(), LabelCache::kKeyBytes);
  EXPECT_GT(raw_pair(str(std::string(20, 'x')), str(std::string(20, 'y')), buffer).size(),
            LabelCache::kKeyBytes);
  // A hostile length does not wrap the sum.
  EXPECT_GT(raw_pair({"x", SIZE_MAX}, str("y"), buffer).size(), LabelCache::kKeyBytes);
  EXPECT_GT(raw_pair(str("x"), {"y", SIZE_MAX}, buffer).size(), LabelCache::kKeyBytes);
  EXPECT_EQ(raw_pair(str(std::string(19, 'x')), str(std::string(20, 'y')), buffer).size(),
            LabelCache::kKeyBytes);
}

TEST(RawKey, NullAndEmptyAreTheSameAndASinglePartIsItself) {
  char buffer[kRawKeyBufferBytes];
  EXPECT_EQ(raw_key({{nullptr, 5}}, buffer), "");
  EXPECT_EQ(raw_key({str("")}, buffer), "");
  const std::string value = "orders";
  EXPECT_EQ(raw_key({str(value)}, buffer).data(), value.data());
  EXPECT_EQ(raw_key({{nullptr, 3}, str("b")}, buffer), raw_key({str(""), str("b")}, buffer));
}

}  // namespace
}  // namespace nq::metrics
