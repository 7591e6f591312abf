#include "protobuf_decode.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>

namespace nq::testing {

std::vector<std::string> split_delimited(const std::string& body, std::string& error) {
  std::vector<std::string> messages;
  size_t at = 0;
  while (at < body.size()) {
    uint64_t length = 0;
    int shift = 0;
    for (;;) {
      if (at >= body.size() || shift > 63) {
        error = "truncated varint at byte " + std::to_string(at);
        return {};
      }
      const auto b = static_cast<unsigned char>(body[at++]);
      length |= uint64_t{b & 0x7fu} << shift;
      shift += 7;
      if (b < 0x80) break;
    }
    if (length > body.size() - at) {
      error = "a message of " + std::to_string(length) + " bytes overruns the body at byte " +
              std::to_string(at);
      return {};
    }
    messages.push_back(body.substr(at, length));
    at += length;
  }
  return messages;
}

std::optional<std::string> protoc_decode_family(const std::string& message,
                                                const std::string& scratch_dir,
                                                std::string& error) {
  const std::string input = scratch_dir + "/message.bin";
  {
    std::ofstream out(input, std::ios::binary | std::ios::trunc);
    out << message;
    if (!out.good()) {
      error = "could not write " + input;
      return std::nullopt;
    }
  }
  const std::string command = std::string(NQ_PROTOC) +
                              " --decode=io.prometheus.client.MetricFamily -I" +
                              NQ_CLIENT_MODEL_PROTO_DIR + " -I" + NQ_PROTOBUF_INCLUDE_DIR +
                              " io/prometheus/client/metrics.proto <" + input + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    error = "could not run " + command;
    return std::nullopt;
  }
  std::string out;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  if (::pclose(pipe) != 0) {
    error = command + " failed: " + out;
    return std::nullopt;
  }
  return out;
}

}  // namespace nq::testing
