#include "store/label_value.hpp"

#include <cstring>

namespace nq::metrics {
namespace {

constexpr std::string_view kUnknown = "unknown";

// Length of the valid UTF-8 sequence starting at s[0] (n bytes available), or
// 0 when it is not valid (overlong forms, surrogates and > U+10FFFF included).
size_t utf8_sequence_length(const unsigned char* s, size_t n) noexcept {
  const unsigned char c = s[0];
  if (c < 0x80) return c >= 0x20 && c != 0x7F ? 1 : 0;  // controls are replaced too
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  }
  return len;
}

}  // namespace

size_t sanitize_label_value(nq_str in, char* out, size_t max_bytes) noexcept {
  if (in.data == nullptr || in.len == 0) {
    std::memcpy(out, kUnknown.data(), kUnknown.size());
    return kUnknown.size();
  }
  const auto* s = reinterpret_cast<const unsigned char*>(in.data);
  size_t read = 0, written = 0;
  while (read < in.len) {
    const size_t len = utf8_sequence_length(s + read, in.len - read);
    const size_t take = len == 0 ? 1 : len;
    if (written + take > max_bytes) break;  // cut at a character boundary
    if (len == 0) {
      out[written] = '?';
    } else {
      std::memcpy(out + written, s + read, len);
    }
    written += take;
    read += take;
  }
  return written;
}

size_t strip_literals(std::string_view in, char* out) noexcept {
  auto is_word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || static_cast<unsigned char>(c) >= 0x80;
  };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t written = 0;
  for (size_t i = 0; i < in.size();) {
    const char c = in[i];
    if (c == '\'' || c == '"') {  // a quoted literal ('it''s' included)
      ++i;
      while (i < in.size()) {
        if (in[i] == c && (i + 1 >= in.size() || in[i + 1] != c)) break;
        i += (in[i] == c || in[i] == '\\') ? 2 : 1;  // doubled quote or backslash escape
      }
      ++i;
      out[written++] = '?';
    } else if (is_digit(c) && (written == 0 || !is_word(out[written - 1]))) {
      // Decimal, exponent and hexadecimal forms: 42, 3.5e2, 0x1F.
      while (i < in.size() && (is_digit(in[i]) || in[i] == '.' || in[i] == 'x' || in[i] == 'X' ||
                               (in[i] >= 'a' && in[i] <= 'f') || (in[i] >= 'A' && in[i] <= 'F'))) {
        ++i;
      }
      out[written++] = '?';
    } else {
      out[written++] = c;
      ++i;
    }
  }
  return written;
}

uint64_t hash_bytes(std::string_view bytes) noexcept {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = 0xCBF29CE484222325ull ^ (bytes.size() * kMul);
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  h = (h ^ tail) * kMul;
  h ^= h >> 32;
  return h;
}

}  // namespace nq::metrics
