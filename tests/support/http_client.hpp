// A minimal blocking HTTP/1.1 client over loopback for tests (POSIX sockets),
// plus lookups in Prometheus text exposition.
// Thread-safety: free functions, no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace nq::testing {

struct HttpReply {
  int status = 0;       // 0 when the connection failed
  std::string headers;  // raw header block
  std::string body;
  std::string error;  // why status is 0
};

// Sends `request_head` (request line + headers, without the final blank line)
// to host:port and reads the reply until the server closes the connection.
HttpReply http_exchange(const std::string& host, uint16_t port, const std::string& request_head);

// GET path with "Connection: close".
HttpReply http_get(const std::string& host, uint16_t port, const std::string& path);

// Value of the sample whose name and labels are exactly `series`, e.g.
// `neuroquantum_queries_total{query_type="select",status="success"}`.
std::optional<double> sample_value(const std::string& exposition, const std::string& series);

}  // namespace nq::testing
