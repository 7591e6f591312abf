#include "record/raw_key.hpp"

#include <cstring>

namespace nq::metrics {
namespace {

// Copies the bytes of `from` (at most LabelCache::kKeyBytes) to `to` without
// a call: whole words, then the last word (overlapping), or two overlapping
// halves, or three bytes; nothing outside either range is read or written.
void copy_short(char* to, std::string_view from) noexcept {
  const char* p = from.data();
  const size_t n = from.size();
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) std::memcpy(to + i, p + i, 8);
    std::memcpy(to + n - 8, p + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(to, p, 4);
    std::memcpy(to + n - 4, p + n - 4, 4);
  } else if (n != 0) {
    to[0] = p[0];
    to[n / 2] = p[n / 2];
    to[n - 1] = p[n - 1];
  }
}

}  // namespace

std::string_view raw_pair(nq_str first, nq_str second, char* buffer) noexcept {
  constexpr size_t kRoom = LabelCache::kKeyBytes;
  const std::string_view a = raw_bytes(first), b = raw_bytes(second);
  if (a.size() >= kRoom || b.size() > kRoom - 1 - a.size()) return {buffer, kRoom + 1};
  buffer[0] = static_cast<char>(a.size());
  copy_short(buffer + 1, a);
  copy_short(buffer + 1 + a.size(), b);
  return {buffer, 1 + a.size() + b.size()};
}

}  // namespace nq::metrics
