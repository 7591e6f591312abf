#include "trace_log.hpp"

#include <cerrno>
#include <cstring>

#include "nq/nq_abi_cpp.hpp"

namespace nq::mock {
namespace {

template <size_t N>
void append_hex(std::string& out, const uint8_t (&bytes)[N]) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (const uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
}

}  // namespace

TraceLog::~TraceLog() {
  if (file_ != nullptr) std::fclose(file_);
}

bool TraceLog::open(const std::string& path, std::string& error) {
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) {
    error = "cannot open the trace log " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

void TraceLog::append(const uint8_t (&trace_id)[16], const uint8_t (&span_id)[8],
                      uint32_t query_type, uint64_t duration_ns) {
  std::string line;
  append_hex(line, trace_id);
  line += ' ';
  append_hex(line, span_id);
  line += ' ';
  line += nq::query_type_name(static_cast<nq_query_type>(query_type));
  char duration[32];
  std::snprintf(duration, sizeof duration, " %.9f\n", static_cast<double>(duration_ns) / 1e9);
  line += duration;
  const std::lock_guard lock(mutex_);
  std::fputs(line.c_str(), file_);
  std::fflush(file_);
}

}  // namespace nq::mock
