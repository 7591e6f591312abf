// Protocol Buffers wire format, by hand: the few primitives the protobuf
// exposition writes (varints, little-endian doubles, length-delimited bytes),
// each as a pair of "how many bytes" and "append them", so that a nested
// message's length can be written before the message itself.
//
// Why by hand: the plugin does not link libprotobuf (one more shared library
// for the engine to load, and an allocating object model per scrape); the
// messages of client_model's metrics.proto need only these primitives.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
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

inline void append_varint(std::string& out, uint64_t value) {
  char bytes[10];
  size_t n = 0;
  while (value >= 0x80) {
    bytes[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  bytes[n++] = static_cast<char>(value);
  out.append(bytes, n);
}

constexpr uint64_t tag(uint32_t field, WireType type) {
  return (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(type);
}

constexpr size_t tag_size(uint32_t field) {
  return varint_size(tag(field, WireType::varint));
}

inline void append_tag(std::string& out, uint32_t field, WireType type) {
  append_varint(out, tag(field, type));
}

// A `double` field: tag, then the IEEE 754 bits, little-endian.
inline void append_double(std::string& out, uint32_t field, double value) {
  append_tag(out, field, WireType::fixed64);
  uint64_t bits = std::bit_cast<uint64_t>(value);
  char bytes[8];
  for (char& byte : bytes) {
    byte = static_cast<char>(bits & 0xff);
    bits >>= 8;
  }
  out.append(bytes, sizeof bytes);
}

// A `string` field, or the head of an embedded message of `size` bytes.
inline void append_length(std::string& out, uint32_t field, size_t size) {
  append_tag(out, field, WireType::length_delimited);
  append_varint(out, size);
}

inline void append_string(std::string& out, uint32_t field, std::string_view text) {
  append_length(out, field, text.size());
  out += text;
}

}  // namespace nq::metrics::protowire
