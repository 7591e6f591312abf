// The byte encoding of the state one copy of the plugin hands to the next on
// hot reload: fixed-width integers and doubles in host byte order (the state
// never leaves the process) and length-prefixed strings.
//
// Thread-safety: none; each writer/reader is used by one thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace nq::metrics {

class StateWriter {
 public:
  template <typename T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void put_string(std::string_view s) {
    put(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

// Every read checks the remaining length: a truncated or corrupt state makes
// ok() false instead of reading out of bounds.
class StateReader {
 public:
  explicit StateReader(std::string_view in) : in_(in) {}

  template <typename T>
  T get() {
    T value{};
    if (in_.size() < sizeof value) {
      ok_ = false;
      in_ = {};
      return value;
    }
    std::memcpy(&value, in_.data(), sizeof value);
    in_.remove_prefix(sizeof value);
    return value;
  }
  std::string_view get_string() {
    const auto n = get<uint32_t>();
    if (in_.size() < n) {
      ok_ = false;
      in_ = {};
      return {};
    }
    const std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace nq::metrics
