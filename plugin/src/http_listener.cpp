#include "http_listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

namespace nq::metrics {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kDrainTimeout = std::chrono::seconds(1);
constexpr int kListenBacklog = 64;
constexpr size_t kFirstReadBytes = 1024;
// "GET " + target + " HTTP/1.1": what the request line adds to method and target.
constexpr size_t kRequestLineOverhead = 11;

using Response = http::response<http::string_body>;

Response make_response(const http::request<http::empty_body>& req, http::status status,
                       std::string_view content_type, std::string body,
                       const std::string& server_name) {
  Response res{status, req.version()};
  res.set(http::field::server, server_name);
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  if (req.method() == http::verb::head) {
    res.content_length(body.size());
  } else {
    res.body() = std::move(body);
    res.prepare_payload();
  }
  return res;
}

Response route(const http::request<http::empty_body>& req, const HttpEndpoints& endpoints) {
  const auto& name = endpoints.server_name;
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    Response res = make_response(req, http::status::method_not_allowed, "text/plain",
                                 "Method Not Allowed\n", name);
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  std::string_view target = req.target();
  target = target.substr(0, target.find('?'));
  if (target == "/metrics") {
    const ExpositionFormat format = negotiate_format(req[http::field::accept]);
    std::string body = endpoints.render_metrics(format);
    const bool gzip = accepts_gzip(req[http::field::accept_encoding]);
    if (gzip) body = gzip_compress(body);
    Response res =
        make_response(req, http::status::ok, content_type(format), std::move(body), name);
    if (gzip) res.set(http::field::content_encoding, "gzip");
    res.set(http::field::vary, "Accept, Accept-Encoding");
    return res;
  }
  if (target == "/") {
    return make_response(req, http::status::ok, "text/html; charset=utf-8",
                         endpoints.landing_page_html, name);
  }
  if (target == "/-/healthy" || target == "/-/ready") {
    return make_response(req, http::status::ok, "text/plain", "OK\n", name);
  }
  return make_response(req, http::status::not_found, "text/plain", "Not Found\n", name);
}

// What sessions share with the listener; read and written from the serving
// threads, `accepting_ended` and `sessions` also by stop() on another.
struct ServingState {
  std::atomic<bool> stopping{false};
  std::atomic<bool> accepting_ended{false};
  std::atomic<uint32_t> sessions{0};
};

Response error_response(http::status status, std::string body, const std::string& server_name) {
  http::request<http::empty_body> bad;
  bad.version(11);
  bad.keep_alive(false);
  return make_response(bad, status, "text/plain", std::move(body), server_name);
}

// The answer to a request that could not be read whole.
Response unreadable_request_response(beast::error_code ec, const std::string& server_name) {
  if (ec == http::error::header_limit) {
    return error_response(http::status::request_header_fields_too_large,
                          "Request Header Fields Too Large\n", server_name);
  }
  if (ec == http::error::unexpected_body) {
    return error_response(http::status::payload_too_large,
                          "Payload Too Large: requests carry no body here\n", server_name);
  }
  return error_response(http::status::bad_request, "Bad Request: " + ec.message() + "\n",
                        server_name);
}

// One client connection: wait for a request (idle timeout), read it whole
// (read timeout), answer it, repeat while keep-alive. Every handler runs on
// the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpEndpoints& endpoints, const ListenerLimits& limits,
          spdlog::logger& log, ServingState& state)
      : stream_(std::move(socket)),
        endpoints_(endpoints),
        limits_(limits),
        log_(log),
        state_(state) {
    state_.sessions.fetch_add(1);
  }
  ~Session() { state_.sessions.fetch_sub(1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::wait_for_request, shared_from_this()));
  }

  // Over the connection limit: answer 503 without reading, then close.
  void refuse() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      Response res = error_response(http::status::service_unavailable,
                                    "Service Unavailable: too many connections\n",
                                    self->endpoints_.server_name);
      res.set(http::field::retry_after, "1");
      self->write(std::move(res));
    });
  }

  // On stop (from any thread): a keep-alive connection waiting for its next
  // request is closed now; one being answered, or whose first request is on
  // its way, is closed after its response.
  void stop_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->idle_ || self->served_ == 0) return;
      beast::error_code ignored;
      self->stream_.socket().close(ignored);
    });
  }

 private:
  void wait_for_request() {
    if (buffer_.size() > 0) return read_request();  // pipelined: already here
    idle_ = true;
    stream_.expires_after(std::chrono::seconds(served_ == 0 ? limits_.read_timeout_seconds
                                                            : limits_.idle_timeout_seconds));
    stream_.async_read_some(
        buffer_.prepare(kFirstReadBytes),
        beast::bind_front_handler(&Session::on_first_bytes, shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, size_t n) {
    idle_ = false;
    if (ec) return close();  // idle timeout, closed by the client, or stopping
    buffer_.commit(n);
    read_request();
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(limits_.max_header_bytes);
    // The whole request within the read timeout of its first byte: a client
    // that sends one byte at a time is cut off.
    stream_.expires_after(std::chrono::seconds(limits_.read_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted) {
      return close();
    }
    if (ec) return write(unreadable_request_response(ec, endpoints_.server_name));
    const auto& req = parser_->get();
    if (req.method_string().size() + req.target().size() + kRequestLineOverhead >
        limits_.max_request_line_bytes) {
      return write(
          error_response(http::status::uri_too_long, "URI Too Long\n", endpoints_.server_name));
    }
    Response res;
    try {
      res = route(req, endpoints_);
    } catch (const std::exception& e) {
      log_.error("serving {} failed: {}", std::string(req.target()), e.what());
      res = make_response(req, http::status::internal_server_error, "text/plain",
                          "Internal Server Error\n", endpoints_.server_name);
    }
    write(std::move(res));
  }

  void write(Response res) {
    ++served_;
    response_ = std::move(res);
    stream_.expires_after(std::chrono::seconds(limits_.read_timeout_seconds));
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    if (ec) return;
    if (!response_.keep_alive() || state_.stopping.load()) return close();
    wait_for_request();
  }

  // A lingering close: stop sending, then read and drop what the client
  // still sends until it closes (at most the read timeout), so that unread
  // bytes (a refused or rejected request) do not make the kernel answer with
  // a reset that would destroy the response in flight.
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(limits_.read_timeout_seconds));
    discard_input();
  }

  void discard_input() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec) self->discard_input();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  Response response_;
  const HttpEndpoints& endpoints_;
  const ListenerLimits& limits_;
  spdlog::logger& log_;
  ServingState& state_;
  bool idle_ = false;
  uint64_t served_ = 0;
};

}  // namespace

struct HttpListener::Impl {
  Impl(ListenAddress a, ListenerLimits l, HttpEndpoints e, std::shared_ptr<spdlog::logger> lg)
      : address(std::move(a)),
        limits(l),
        endpoints(std::move(e)),
        log(std::move(lg)),
        io(static_cast<int>(limits.threads)) {}

  // Accept handlers run on the acceptor's strand, one at a time.
  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      // A connection accepted is always answered, even when stop() closed
      // the acceptor meanwhile: dropping it would be a failed scrape.
      if (!ec) {
        const bool over_limit = state.sessions.load() >= limits.max_connections;
        auto session = std::make_shared<Session>(std::move(socket), endpoints, limits, *log, state);
        if (over_limit) {
          log->debug("refusing a connection: {} open (http_max_connections)",
                     limits.max_connections);
          session->refuse();
        } else {
          std::erase_if(sessions, [](const auto& s) { return s.expired(); });
          sessions.push_back(session);
          session->start();
        }
      } else if (ec != net::error::operation_aborted) {
        log->warn("accept failed: {}", ec.message());
      }
      if (acceptor.is_open()) accept();
    });
  }

  ListenAddress address;
  const ListenerLimits limits;
  HttpEndpoints endpoints;
  std::shared_ptr<spdlog::logger> log;
  ServingState state;
  std::vector<std::weak_ptr<Session>> sessions;  // acceptor's strand only
  net::io_context io;
  tcp::acceptor acceptor{net::make_strand(io)};
  std::vector<std::thread> threads;
};

HttpListener::HttpListener(ListenAddress address, ListenerLimits limits, HttpEndpoints endpoints,
                           std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_unique<Impl>(std::move(address), limits, std::move(endpoints),
                                   std::move(log))) {}

HttpListener::~HttpListener() {
  stop();
}

bool HttpListener::start(std::string& error, int adopted_socket) {
  Impl& s = *impl_;
  beast::error_code ec;
  if (adopted_socket >= 0) {
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    ::getsockname(adopted_socket, reinterpret_cast<sockaddr*>(&local), &len);
    s.acceptor.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), adopted_socket, ec);
    if (ec) ::close(adopted_socket);
  } else {
    const auto ip = net::ip::make_address(s.address.host, ec);
    const tcp::endpoint endpoint{ip, s.address.port};
    if (!ec) s.acceptor.open(endpoint.protocol(), ec);
    if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor.bind(endpoint, ec);
    if (!ec) s.acceptor.listen(kListenBacklog, ec);
  }
  if (ec) {
    error = "cannot listen on " + s.address.to_string() + ": " + ec.message();
    beast::error_code ignored;
    s.acceptor.close(ignored);
    return false;
  }
  s.address.port = s.acceptor.local_endpoint().port();
  net::dispatch(s.acceptor.get_executor(), [&s] { s.accept(); });
  for (uint32_t i = 0; i < s.limits.threads; ++i) {
    s.threads.emplace_back([&s] {
      try {
        s.io.run();
      } catch (const std::exception& e) {
        s.log->error("HTTP listener thread stopped: {}", e.what());
      }
    });
  }
  return true;
}

void HttpListener::stop() noexcept {
  Impl& s = *impl_;
  if (s.threads.empty()) return;
  net::post(s.acceptor.get_executor(), [&s] {
    s.state.stopping.store(true);
    beast::error_code ignored;
    s.acceptor.close(ignored);
    for (const auto& weak : s.sessions) {
      if (const auto session = weak.lock()) session->stop_if_idle();
    }
    s.state.accepting_ended.store(true);
  });
  // Drain: first until the acceptor is closed (a connection accepted before
  // that has its session by then), then until every session has answered.
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  while ((!s.state.accepting_ended.load() || s.state.sessions.load() > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  s.io.stop();
  for (std::thread& t : s.threads) t.join();
  s.threads.clear();
  beast::error_code ignored;
  s.acceptor.close(ignored);
}

int HttpListener::duplicate_socket() const noexcept {
  if (!impl_->acceptor.is_open()) return -1;
  return ::fcntl(impl_->acceptor.native_handle(), F_DUPFD_CLOEXEC, 0);
}

ListenAddress HttpListener::bound_address() const {
  return impl_->address;
}

}  // namespace nq::metrics
