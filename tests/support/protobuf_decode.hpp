// Reading a delimited protobuf exposition in tests: the body split at its
// varint length prefixes, and one io.prometheus.client.MetricFamily decoded to
// protoc's text form with client_model's metrics.proto (the paths found by
// tests/CMakeLists.txt).
// Thread-safety: free functions, no shared state.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace nq::testing {

// The messages of `body`; empty and `error` set when a prefix is truncated or
// a length overruns the body.
std::vector<std::string> split_delimited(const std::string& body, std::string& error);

// `protoc --decode=io.prometheus.client.MetricFamily` of one message, through
// a file in `scratch_dir`; nullopt and `error` (protoc's output) on failure.
std::optional<std::string> protoc_decode_family(const std::string& message,
                                                const std::string& scratch_dir, std::string& error);

}  // namespace nq::testing
