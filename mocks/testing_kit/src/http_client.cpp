#include "nq/testing/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>

namespace nq::testing {

TcpConnection::TcpConnection(const std::string& host, uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error_ = std::string("connect: ") + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
  }
}

TcpConnection::~TcpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool TcpConnection::send(const std::string& bytes) {
  if (fd_ < 0) return false;
  const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n == static_cast<ssize_t>(bytes.size())) return true;
  error_ = std::string("send: ") + (n < 0 ? std::strerror(errno) : "short write");
  return false;
}

std::string TcpConnection::receive(std::chrono::milliseconds timeout) {
  std::string data;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[16384];
  while (fd_ >= 0 && !closed_by_server_) {
    // Past the deadline, still take what has already arrived (poll with 0).
    const auto left = std::max<std::chrono::milliseconds::rep>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now())
               .count());
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      data.append(buf, static_cast<size_t>(n));
    } else {
      closed_by_server_ = true;  // orderly close, or reset
    }
  }
  return data;
}

HttpReply parse_reply(const std::string& raw) {
  HttpReply reply;
  const size_t split = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || split == std::string::npos) {
    reply.error = "malformed or empty reply: '" + raw.substr(0, 80) + "'";
    return reply;
  }
  reply.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  reply.headers = raw.substr(0, split);
  reply.body = raw.substr(split + 4);
  return reply;
}

HttpReply http_exchange(const std::string& host, uint16_t port, const std::string& request_head) {
  TcpConnection connection(host, port);
  if (!connection.send(request_head + "\r\n\r\n")) {
    HttpReply reply;
    reply.error = connection.error();
    return reply;
  }
  return parse_reply(connection.receive(std::chrono::seconds(10)));
}

HttpReply http_get(const std::string& host, uint16_t port, const std::string& path) {
  return http_exchange(host, port,
                       "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close");
}

uint16_t serving_port(std::string_view log_line) {
  constexpr std::string_view kServing = "serving http://";
  const size_t at = log_line.find(kServing);
  if (at == std::string_view::npos) return 0;
  const std::string_view address = log_line.substr(at + kServing.size());
  const size_t colon = address.rfind(':', address.find('/'));
  if (colon == std::string_view::npos) return 0;
  unsigned port = 0;
  const std::string_view digits = address.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  return ec == std::errc() && end != digits.data() && port <= 65535 ? static_cast<uint16_t>(port)
                                                                    : 0;
}

std::string gunzip(const std::string& compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return {};  // 16: gzip framing
  std::string out;
  char buf[65536];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buf);
    stream.avail_out = sizeof buf;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buf, sizeof buf - stream.avail_out);
  }
  inflateEnd(&stream);
  return status == Z_STREAM_END ? out : std::string();
}

std::optional<double> sample_value(const std::string& exposition, const std::string& series) {
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

}  // namespace nq::testing
