// A minimal blocking HTTP/1.1 client over loopback for tests (POSIX sockets),
// plus lookups in Prometheus text exposition.
// Thread-safety: free functions, no shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nq::testing {

struct HttpReply {
  int status = 0;       // 0 when the connection failed
  std::string headers;  // raw header block
  std::string body;
  std::string error;  // why status is 0
};

// A TCP connection to host:port (an IPv4 literal), for tests that speak HTTP byte by
// byte (slow clients, idle keep-alive, connection limits). Closed on
// destruction.
class TcpConnection {
 public:
  TcpConnection(const std::string& host, uint16_t port);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  // False when the bytes could not be sent (e.g. the server closed).
  bool send(const std::string& bytes);
  // Reads what arrives within `timeout`, until the server closes the
  // connection (then closed_by_server() is true) or the timeout passes.
  std::string receive(std::chrono::milliseconds timeout);
  bool closed_by_server() const { return closed_by_server_; }

 private:
  int fd_ = -1;
  bool closed_by_server_ = false;
  std::string error_;
};

// Splits a raw reply ("HTTP/1.1 200 OK\r\n...\r\n\r\nbody"); status 0 with
// an error when it is not one.
HttpReply parse_reply(const std::string& raw);

// Sends `request_head` (request line + headers, without the final blank line)
// to host:port and reads the reply until the server closes the connection.
HttpReply http_exchange(const std::string& host, uint16_t port, const std::string& request_head);

// GET path with "Connection: close".
HttpReply http_get(const std::string& host, uint16_t port, const std::string& path);

// The port of the plugin's "serving http://HOST:PORT/metrics" log line, 0
// when `log_line` is not one.
uint16_t serving_port(std::string_view log_line);

// The data of a gzip stream (a body sent with Content-Encoding: gzip); empty
// when it is not a complete gzip stream.
std::string gunzip(const std::string& compressed);

// Value of the sample whose name and labels are exactly `series`, e.g.
// `neuroquantum_queries_total{query_type="select",status="success"}`.
std::optional<double> sample_value(const std::string& exposition, const std::string& series);

}  // namespace nq::testing
