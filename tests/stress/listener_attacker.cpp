// nq-listener-attacker: holds thousands of hostile connections to a metrics
// listener while scraping it like Prometheus, and reports what the scrapes
// saw. Used by the listener attack stress test and by nq-bench.
//
//   nq-listener-attacker --port P [--tls] [--dribblers 3000] [--silent 1000]
//                        [--seconds 60] [--scrape-every-ms 250]
//
// Dribblers send an unfinished request head (with --tls: the first bytes of a
// TLS record that never completes) one byte a second; silent connections send
// nothing. Both reconnect as soon as the listener cuts them. A separate thread
// scrapes /metrics on a new connection every interval (TLS without
// verification with --tls) and times it from connect to the last byte.
// Output, one "key value" per line on stdout at the end: scrapes, ok (200),
// failed, p50_ms, p99_ms, max_ms, open_max (the largest
// neuroquantum_plugin_http_connections_open a scrape reported),
// attack_connects, attack_cuts, connect_errors.
//
// Thread-safety: the attack runs on one thread (its io_context), the scraper
// on another; they share only the stop flag and the counters they report at
// the end.
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  uint16_t port = 0;
  bool tls = false;
  int dribblers = 3000;
  int silent = 1000;
  int seconds = 60;
  int scrape_every_ms = 250;
};

// The attack: every connection on one io_context.
class Attack {
 public:
  Attack(const Options& options, std::atomic<bool>& stop)
      : options_(options),
        endpoint_(net::ip::make_address("127.0.0.1"), options.port),
        stop_(stop) {
    // A plain head that never ends, or a TLS record header that announces
    // 512 bytes, then filler.
    prefix_ = options.tls ? std::string("\x16\x03\x01\x02\x00", 5)
                          : std::string("GET /metrics HTTP/1.1\r\nHost: attacker\r\nX-Dribble: ");
    const int total = options.dribblers + options.silent;
    for (int i = 0; i < total; ++i) {
      connections_.push_back(std::make_unique<Connection>(io_, i < options.dribblers));
    }
  }

  void run() {
    for (auto& c : connections_) connect(*c);
    tick();
    io_.run();
  }

  uint64_t connects() const { return connects_; }
  uint64_t cuts() const { return cuts_; }
  uint64_t connect_errors() const { return connect_errors_; }

 private:
  struct Connection {
    Connection(net::io_context& io, bool dribbler) : socket(io), dribbles(dribbler) {}
    tcp::socket socket;
    bool dribbles;
    bool connected = false;
    bool retry = false;  // reconnect at the next tick
    size_t sent = 0;
    std::array<char, 256> sink{};
  };

  void connect(Connection& c) {
    c.connected = false;
    c.retry = false;
    c.sent = 0;
    c.socket = tcp::socket(io_);
    c.socket.async_connect(endpoint_, [this, &c](beast::error_code ec) {
      if (stop_.load()) {
        beast::error_code ignored;
        return void(c.socket.close(ignored));
      }
      if (ec) {
        ++connect_errors_;
        c.retry = true;
        return;
      }
      ++connects_;
      c.connected = true;
      c.socket.non_blocking(true);
      wait_for_cut(c);
    });
  }

  // Whatever the listener sends is dropped; its close is a cut: reconnect.
  void wait_for_cut(Connection& c) {
    c.socket.async_read_some(net::buffer(c.sink), [this, &c](beast::error_code ec, size_t) {
      if (!ec) return wait_for_cut(c);
      ++cuts_;
      beast::error_code ignored;
      c.socket.close(ignored);
      if (!stop_.load()) connect(c);
    });
  }

  // Every 100 ms: reconnect the ones whose connect failed; every second:
  // one more byte from each dribbler.
  void tick() {
    timer_.expires_after(std::chrono::milliseconds(100));
    timer_.async_wait([this](beast::error_code) {
      if (stop_.load()) {
        for (auto& c : connections_) {
          beast::error_code ignored;
          c->socket.close(ignored);
        }
        return;
      }
      const bool dribble = ++ticks_ % 10 == 0;
      for (auto& c : connections_) {
        if (c->retry) {
          connect(*c);
        } else if (dribble && c->dribbles && c->connected) {
          const char byte = c->sent < prefix_.size() ? prefix_[c->sent] : 'a';
          beast::error_code ignored;
          if (c->socket.send(net::buffer(&byte, 1), 0, ignored) == 1) ++c->sent;
        }
      }
      tick();
    });
  }

  const Options options_;
  const tcp::endpoint endpoint_;
  std::atomic<bool>& stop_;
  std::string prefix_;
  net::io_context io_;
  net::steady_timer timer_{io_};
  std::vector<std::unique_ptr<Connection>> connections_;
  uint64_t ticks_ = 0;
  uint64_t connects_ = 0;
  uint64_t cuts_ = 0;
  uint64_t connect_errors_ = 0;
};

// One scrape on a new connection, as Prometheus does when its keep-alive
// connection is gone. Returns the status (0 when it failed) and the body.
struct Scrape {
  unsigned status = 0;
  std::string body;
  double milliseconds = 0;
};

template <class Stream>
Scrape exchange(Stream& stream) {
  http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::connection, "close");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {res.result_int(), std::move(res.body()), 0};
}

Scrape scrape_once(const Options& options, ssl::context& tls) {
  const auto began = Clock::now();
  Scrape scrape;
  try {
    net::io_context io;
    tcp::socket socket(io);
    // Blocking I/O with a deadline per call: a stalled listener is a failure.
    const timeval timeout{5, 0};
    socket.open(tcp::v4());
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    socket.connect({net::ip::make_address("127.0.0.1"), options.port});
    if (options.tls) {
      ssl::stream<tcp::socket&> stream(socket, tls);
      stream.handshake(ssl::stream_base::client);
      scrape = exchange(stream);
    } else {
      scrape = exchange(socket);
    }
  } catch (const std::exception&) {
    scrape.status = 0;
  }
  scrape.milliseconds = std::chrono::duration<double, std::milli>(Clock::now() - began).count();
  return scrape;
}

// The value of an unlabelled sample in a text exposition, or -1.
double sample(const std::string& body, std::string_view name) {
  const std::string line = "\n" + std::string(name) + " ";
  const size_t at = body.find(line);
  return at == std::string::npos ? -1 : std::atof(body.c_str() + at + line.size());
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t i = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(i, values.size() - 1)];
}

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto number = [&](int& field) {
      if (i + 1 >= argc) return false;
      field = std::atoi(argv[++i]);
      return true;
    };
    int port = 0;
    if (arg == "--port" && number(port)) {
      options.port = static_cast<uint16_t>(port);
    } else if (arg == "--tls") {
      options.tls = true;
    } else if (!((arg == "--dribblers" && number(options.dribblers)) ||
                 (arg == "--silent" && number(options.silent)) ||
                 (arg == "--seconds" && number(options.seconds)) ||
                 (arg == "--scrape-every-ms" && number(options.scrape_every_ms)))) {
      std::cerr << "nq-listener-attacker: unknown or incomplete argument '" << arg << "'\n";
      return false;
    }
  }
  if (options.port == 0) std::cerr << "nq-listener-attacker: --port is required\n";
  return options.port != 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) return 2;
  rlimit files{};  // thousands of sockets: as many as the hard limit allows
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  std::atomic<bool> stop{false};
  Attack attack(options, stop);
  std::thread attacker([&attack] { attack.run(); });

  ssl::context tls(ssl::context::tls_client);
  tls.set_verify_mode(ssl::verify_none);
  std::vector<double> latencies;
  uint64_t failed = 0;
  double open_max = 0;
  const auto end = Clock::now() + std::chrono::seconds(options.seconds);
  while (Clock::now() < end) {
    const auto next = Clock::now() + std::chrono::milliseconds(options.scrape_every_ms);
    const Scrape scrape = scrape_once(options, tls);
    latencies.push_back(scrape.milliseconds);
    if (scrape.status != 200) {
      ++failed;
      std::cerr << "scrape failed: status " << scrape.status << " after " << scrape.milliseconds
                << " ms\n";
    }
    open_max = std::max(open_max, sample(scrape.body, "neuroquantum_plugin_http_connections_open"));
    std::this_thread::sleep_until(next);
  }
  stop.store(true);
  attacker.join();

  std::printf("scrapes %zu\nok %zu\nfailed %llu\n", latencies.size(),
              latencies.size() - static_cast<size_t>(failed),
              static_cast<unsigned long long>(failed));
  std::printf("p50_ms %.2f\np99_ms %.2f\nmax_ms %.2f\nopen_max %.0f\n", percentile(latencies, 0.5),
              percentile(latencies, 0.99), percentile(latencies, 1.0), open_max);
  std::printf("attack_connects %llu\nattack_cuts %llu\nconnect_errors %llu\n",
              static_cast<unsigned long long>(attack.connects()),
              static_cast<unsigned long long>(attack.cuts()),
              static_cast<unsigned long long>(attack.connect_errors()));
  return 0;
}
