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

constexpr auto kReadTimeout = std::chrono::seconds(10);
constexpr auto kDrainTimeout = std::chrono::seconds(1);
constexpr uint32_t kHeaderLimit = 8 * 1024;
constexpr int kListenBacklog = 64;

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

// What sessions share with the listener. `stopping` is only touched on the
// serving thread; `accepting_ended` and `sessions` are read by stop() on
// another.
struct ServingState {
  bool stopping = false;
  std::atomic<bool> accepting_ended{false};
  std::atomic<int> sessions{0};
};

// One client connection: read a request, answer it, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpEndpoints& endpoints, spdlog::logger& log,
          ServingState& state)
      : stream_(std::move(socket)), endpoints_(endpoints), log_(log), state_(state) {
    state_.sessions.fetch_add(1);
  }
  ~Session() { state_.sessions.fetch_sub(1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // On stop: a keep-alive connection waiting for its next request is closed
  // now; one being answered, or whose first request is on its way, is closed
  // after its response.
  void stop_if_idle() {
    if (!idle_ || served_ == 0) return;
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  void start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::read, shared_from_this()));
  }

 private:
  void read() {
    idle_ = true;
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(kReadTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    idle_ = false;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted) {
      return close();
    }
    if (ec) {
      // Malformed request: answer 400 and close.
      http::request<http::empty_body> bad;
      bad.version(11);
      bad.keep_alive(false);
      return write(make_response(bad, http::status::bad_request, "text/plain",
                                 "Bad Request: " + ec.message() + "\n", endpoints_.server_name));
    }
    Response res;
    try {
      res = route(parser_->get(), endpoints_);
    } catch (const std::exception& e) {
      log_.error("serving {} failed: {}", std::string(parser_->get().target()), e.what());
      res = make_response(parser_->get(), http::status::internal_server_error, "text/plain",
                          "Internal Server Error\n", endpoints_.server_name);
    }
    write(std::move(res));
  }

  void write(Response res) {
    ++served_;
    response_ = std::move(res);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    if (ec) return;
    if (!response_.keep_alive() || state_.stopping) return close();
    read();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  Response response_;
  const HttpEndpoints& endpoints_;
  spdlog::logger& log_;
  ServingState& state_;
  bool idle_ = false;
  uint64_t served_ = 0;
};

}  // namespace

struct HttpListener::Impl {
  Impl(ListenAddress a, HttpEndpoints e, std::shared_ptr<spdlog::logger> l)
      : address(std::move(a)), endpoints(std::move(e)), log(std::move(l)) {}

  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      // A connection accepted is always answered, even when stop() closed
      // the acceptor meanwhile: dropping it would be a failed scrape.
      if (!ec) {
        auto session = std::make_shared<Session>(std::move(socket), endpoints, *log, state);
        std::erase_if(sessions, [](const auto& s) { return s.expired(); });
        sessions.push_back(session);
        session->start();
      } else if (ec != net::error::operation_aborted) {
        log->warn("accept failed: {}", ec.message());
      }
      if (acceptor.is_open()) accept();
    });
  }

  ListenAddress address;
  HttpEndpoints endpoints;
  std::shared_ptr<spdlog::logger> log;
  ServingState state;
  std::vector<std::weak_ptr<Session>> sessions;  // serving thread only
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
};

HttpListener::HttpListener(ListenAddress address, HttpEndpoints endpoints,
                           std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_unique<Impl>(std::move(address), std::move(endpoints), std::move(log))) {}

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
  s.accept();
  s.thread = std::thread([&s] {
    try {
      s.io.run();
    } catch (const std::exception& e) {
      s.log->error("HTTP listener stopped: {}", e.what());
    }
  });
  return true;
}

void HttpListener::stop() noexcept {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  net::post(s.io, [&s] {
    s.state.stopping = true;
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
  s.thread.join();
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
