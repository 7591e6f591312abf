// Protocol Buffers wire format, by hand: the few primitives the protobuf
// exposition writes (varints, zigzag varints of sint32/sint64, packed
// repeated varints, little-endian doubles, length-delimited bytes),
// each as a pair of "how many bytes" and "write them", so that a nested
// message's length can be written before the message itself, and a whole
// body into a buffer sized once.
//
// Why by hand: the plugin does not link libprotobuf (one more shared library
// for the engine to load, and an allocating object model per scrape); the
// messages of client_model's metrics.proto need only these primitives.
//
// The write_*() functions write at `at`, which must have room for what the
// matching *_size() says, and return the end of what they wrote.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace nq::metrics::protowire {

// The wire types this writer uses (encoding.md of Protocol Buffers).
enum class WireType : uint8_t { varint = 0, fixed64 = 1, length_delimited = 2 };

// Bytes of `value` as a base-128 varint: 1 to 10.
constexpr size_t varint_size(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

inline char* write_varint(char* at, uint64_t value) {
  while (value >= 0x80) {
    *at++ = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  *at++ = static_cast<char>(value);
  return at;
}

// sint32 and sint64 are zigzag-encoded: 0, -1, 1, -2 … become 0, 1, 2, 3 ….
// For a value in int32's range the 32- and 64-bit encodings are the same
// number, so one function serves both.
constexpr uint64_t zigzag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}

constexpr uint64_t tag(uint32_t field, WireType type) {
  return (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(type);
}

constexpr size_t tag_size(uint32_t field) {
  return varint_size(tag(field, WireType::varint));
}

inline char* write_tag(char* at, uint32_t field, WireType type) {
  return write_varint(at, tag(field, type));
}

// A `double` field: tag, then the IEEE 754 bits, little-endian.
constexpr size_t double_size(uint32_t field) {
  return tag_size(field) + sizeof(double);
}

inline char* write_double(char* at, uint32_t field, double value) {
  at = write_tag(at, field, WireType::fixed64);
  uint64_t bits = std::bit_cast<uint64_t>(value);
  for (size_t i = 0; i < sizeof bits; ++i) {
    *at++ = static_cast<char>(bits & 0xff);
    bits >>= 8;
  }
  return at;
}

// A `string` field, or the head of an embedded message of `size` bytes.
constexpr size_t length_size(uint32_t field, size_t size) {
  return tag_size(field) + varint_size(size);
}

inline char* write_length(char* at, uint32_t field, size_t size) {
  return write_varint(write_tag(at, field, WireType::length_delimited), size);
}

// A packed repeated varint field is one length-delimited field whose bytes
// are the varints one after the other: write_length(at, field, payload), then
// write_varint() each value; payload is the sum of their varint_size().

inline char* write_string(char* at, uint32_t field, std::string_view text) {
  at = write_length(at, field, text.size());
  if (!text.empty()) std::memcpy(at, text.data(), text.size());
  return at + text.size();
}

}  // namespace nq::metrics::protowire
