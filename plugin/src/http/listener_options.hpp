// Where the HTTP listener listens and its limits (settings listen, http_*).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

namespace nq::metrics {

struct ListenAddress {
  std::string host;  // an IPv4 or IPv6 literal, no brackets
  uint16_t port = 0;

  // "127.0.0.1:9470", "[::1]:9470"
  std::string to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
};

// Limits of the HTTP listener (settings http_*; see kListenerSettings).
struct ListenerLimits {
  uint32_t threads = 2;                    // the fixed serving pool
  uint32_t max_connections = 8192;         // at the limit the oldest connection still
                                           // waiting for a request head is evicted; with
                                           // none, a new one is answered 503
  uint32_t max_header_bytes = 8192;        // request line + headers; more: 431
  uint32_t max_request_line_bytes = 2048;  // more: 414
  uint32_t header_timeout_seconds = 5;     // TLS handshake and request head of a new
                                           // connection, from accept; of a keep-alive
                                           // request, from its first byte
  uint32_t read_timeout_seconds = 10;      // a response must be taken in this time
  uint32_t idle_timeout_seconds = 60;      // a keep-alive connection may wait this long
};

}  // namespace nq::metrics
