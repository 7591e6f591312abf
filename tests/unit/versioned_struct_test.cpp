// nq::read_versioned and nq::write_versioned (nq_abi_cpp.hpp), the way every
// reader and writer of an ABI struct handles other versions, on a struct with
// two versions: version 1 ends at `a`, version 2 appended `b`.
#include <gtest/gtest.h>

#include <cstring>

#include "nq/nq_abi_cpp.hpp"

namespace {

struct TwoVersions {
  uint32_t struct_size;
  uint32_t a;
  uint64_t b;  // version 2
};
constexpr uint32_t kFirstVersion = NQ_SIZE_THROUGH(TwoVersions, a);

TEST(VersionedStruct, AnOlderCallersStructIsReadWithTheMissingFieldsZero) {
  // Bytes of a version 1 caller, followed by memory that is not its own.
  unsigned char bytes[sizeof(TwoVersions)];
  std::memset(bytes, 0xAB, sizeof bytes);
  const TwoVersions v1_header{kFirstVersion, 7, 0};
  std::memcpy(bytes, &v1_header, kFirstVersion);
  TwoVersions given;
  std::memcpy(&given, bytes, sizeof given);
  TwoVersions local;
  const TwoVersions* read = nq::read_versioned(&given, kFirstVersion, local);
  ASSERT_EQ(read, &local);
  EXPECT_EQ(read->a, 7u);
  EXPECT_EQ(read->b, 0u) << "a field past struct_size must read as 0, not as the bytes after";
}

TEST(VersionedStruct, ACurrentOrNewerStructIsReadInPlaceAndASmallerOneIsRefused) {
  TwoVersions local;
  const TwoVersions current{sizeof(TwoVersions), 1, 2};
  EXPECT_EQ(nq::read_versioned(&current, kFirstVersion, local), &current);
  TwoVersions newer = current;
  newer.struct_size = sizeof(TwoVersions) + 8;
  EXPECT_EQ(nq::read_versioned(&newer, kFirstVersion, local), &newer);
  TwoVersions truncated = current;
  truncated.struct_size = kFirstVersion - 1;
  EXPECT_EQ(nq::read_versioned(&truncated, kFirstVersion, local), nullptr);
  EXPECT_EQ(nq::read_versioned<TwoVersions>(nullptr, kFirstVersion, local), nullptr);
}

TEST(VersionedStruct, AWriterFillsOnlyWhatTheCallersVersionHas) {
  struct {
    TwoVersions out;
    uint64_t canary;
  } caller{};
  caller.out.struct_size = kFirstVersion;
  caller.out.b = 99;  // not the v1 caller's: must stay untouched
  caller.canary = 0x5A5A;
  nq::write_versioned(TwoVersions{sizeof(TwoVersions), 5, 6}, &caller.out);
  EXPECT_EQ(caller.out.struct_size, kFirstVersion);
  EXPECT_EQ(caller.out.a, 5u);
  EXPECT_EQ(caller.out.b, 99u);
  EXPECT_EQ(caller.canary, 0x5A5Au);
}

}  // namespace
