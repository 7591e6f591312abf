#include "http/http_listener.hpp"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <sstream>
#include <thread>
#include <type_traits>
#include <vector>

#include "http/basic_auth.hpp"
#include "http/negotiation.hpp"

namespace nq::metrics {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr auto kDrainTimeout = std::chrono::seconds(1);
constexpr int kListenBacklog = 64;
constexpr size_t kFirstReadBytes = 1024;
// "GET " + target + " HTTP/1.1": what the request line adds to method and target.
constexpr size_t kRequestLineOverhead = 11;

using Request = http::request<http::empty_body>;
using Response = http::response<http::string_body>;

// What every connection of a listener shares: read-only after start(),
// except `auth` (thread-safe) and the atomics of the serving state.
struct ServingContext {
  HttpEndpoints endpoints;
  ListenerLimits limits;
  std::vector<std::pair<std::string, std::string>> headers;  // from the web config
  BasicAuth auth;
  std::shared_ptr<spdlog::logger> log;
  std::atomic<bool> stopping{false};
  std::atomic<bool> accepting_ended{false};
  std::atomic<uint32_t> sessions{0};
};

Response make_response(const Request& req, http::status status, std::string_view content_type,
                       std::string body, const std::string& server_name) {
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

Response error_response(http::status status, std::string body, const std::string& server_name) {
  Request bad;
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

Response route(const Request& req, const HttpEndpoints& endpoints) {
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
    if (gzip) {
      std::string compressed, error;
      if (!gzip_compress(body, compressed, error)) {
        return error_response(http::status::internal_server_error, error + "\n", name);
      }
      body = std::move(compressed);
    }
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

// The answer to a request read whole (or to the error that stopped reading
// it): limits, then credentials, then the route; with the configured headers.
Response answer(ServingContext& context, beast::error_code read_error, const Request& req) {
  const std::string& name = context.endpoints.server_name;
  Response res;
  if (read_error) {
    res = unreadable_request_response(read_error, name);
  } else if (req.method_string().size() + req.target().size() + kRequestLineOverhead >
             context.limits.max_request_line_bytes) {
    res = error_response(http::status::uri_too_long, "URI Too Long\n", name);
  } else if (context.auth.enabled() && !context.auth.allows(req[http::field::authorization])) {
    if (context.endpoints.on_auth_failure) context.endpoints.on_auth_failure();
    res = make_response(req, http::status::unauthorized, "text/plain", "Unauthorized\n", name);
    res.set(http::field::www_authenticate, "Basic realm=\"nq-metrics\", charset=\"UTF-8\"");
  } else {
    try {
      res = route(req, context.endpoints);
    } catch (const std::exception& e) {
      context.log->error("serving {} failed: {}", std::string(req.target()), e.what());
      res = make_response(req, http::status::internal_server_error, "text/plain",
                          "Internal Server Error\n", name);
    }
  }
  for (const auto& [header, value] : context.headers) res.set(header, value);
  return res;
}

// What the listener needs of a session of either kind.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void start() = 0;
  virtual void refuse() = 0;
  virtual void stop_if_idle() = 0;
};

// One client connection over Stream (plain TCP or TLS over TCP): handshake
// (TLS), wait for a request (idle timeout), read it whole (read timeout),
// answer it, repeat while keep-alive. Every handler runs on the connection's
// strand.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

 public:
  template <class... TlsContext>
  Session(tcp::socket socket, ServingContext& context, TlsContext&... tls)
      : stream_(std::move(socket), tls...), context_(context) {
    context_.sessions.fetch_add(1);
  }
  ~Session() override { context_.sessions.fetch_sub(1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() override {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->handshake(); });
  }

  // Over the connection limit: answer 503 without reading, then close.
  void refuse() override {
    refusing_ = true;
    start();
  }

  // On stop (from any thread): a keep-alive connection waiting for its next
  // request is closed now; one being answered, or whose first request is on
  // its way, is closed after its response.
  void stop_if_idle() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->idle_ || self->served_ == 0) return;
      beast::error_code ignored;
      self->socket().close(ignored);
    });
  }

 private:
  tcp::socket& socket() { return beast::get_lowest_layer(stream_).socket(); }
  void expire_in(uint32_t seconds) {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(seconds));
  }

  void handshake() {
    if constexpr (kTls) {
      expire_in(context_.limits.read_timeout_seconds);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code ec) {
                                if (ec) {
                                  beast::error_code ignored;
                                  return void(self->socket().close(ignored));
                                }
                                self->wait_for_request();
                              });
    } else {
      wait_for_request();
    }
  }

  void wait_for_request() {
    if (refusing_) {
      Response res = error_response(http::status::service_unavailable,
                                    "Service Unavailable: too many connections\n",
                                    context_.endpoints.server_name);
      res.set(http::field::retry_after, "1");
      return write(std::move(res));
    }
    if (buffer_.size() > 0) return read_request();  // pipelined: already here
    idle_ = true;
    expire_in(served_ == 0 ? context_.limits.read_timeout_seconds
                           : context_.limits.idle_timeout_seconds);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->idle_ = false;
                              if (ec) return self->close();  // idle, gone, or stopping
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(context_.limits.max_header_bytes);
    // The whole request within the read timeout of its first byte: a client
    // that sends one byte at a time is cut off.
    expire_in(context_.limits.read_timeout_seconds);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
                           ec == net::error::operation_aborted) {
                         return self->close();
                       }
                       self->write(answer(self->context_, ec, self->parser_->get()));
                     });
  }

  void write(Response res) {
    ++served_;
    response_ = std::move(res);
    expire_in(context_.limits.read_timeout_seconds);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (!self->response_.keep_alive() || self->context_.stopping.load()) {
                          return self->close();
                        }
                        self->wait_for_request();
                      });
  }

  // TLS: send close_notify (within the read timeout). Plain TCP: a lingering
  // close: stop sending, then read and drop what the client still sends until
  // it closes (at most the read timeout), so that unread bytes (a refused or
  // rejected request) do not make the kernel answer with a reset that would
  // destroy the response in flight.
  void close() {
    expire_in(context_.limits.read_timeout_seconds);
    if constexpr (kTls) {
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        self->socket().close(ignored);
      });
    } else {
      beast::error_code ignored;
      socket().shutdown(tcp::socket::shutdown_send, ignored);
      discard_input();
    }
  }

  void discard_input() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec) self->discard_input();
                            });
  }

  Stream stream_;
  ServingContext& context_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  Response response_;
  bool refusing_ = false;
  bool idle_ = false;
  uint64_t served_ = 0;
};

using PlainSession = Session<beast::tcp_stream>;
using TlsSession = Session<beast::ssl_stream<beast::tcp_stream>>;

// The TLS context of a tls_server_config; nullopt with a message naming the
// file on failure.
std::optional<ssl::context> make_tls_context(const TlsServerConfig& config, std::string& error) {
  ssl::context context(ssl::context::tls_server);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_min_proto_version(native, config.min_version);
  if (config.max_version != 0) SSL_CTX_set_max_proto_version(native, config.max_version);
  beast::error_code ec;
  context.use_certificate_chain_file(config.cert_file, ec);
  if (ec) {
    error = "TLS certificate " + config.cert_file + ": " + ec.message();
    return std::nullopt;
  }
  context.use_private_key_file(config.key_file, ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(native) != 1) {
    error = "TLS key " + config.key_file + " cannot be used with the certificate " +
            config.cert_file + ": " + (ec ? ec.message() : "key values mismatch");
    return std::nullopt;
  }
  switch (config.client_auth) {
    case ClientAuth::no_client_cert:
      context.set_verify_mode(ssl::verify_none);
      break;
    case ClientAuth::request_client_cert:
    case ClientAuth::require_any_client_cert:
      // Asked for (or required) but not verified.
      context.set_verify_mode(config.client_auth == ClientAuth::require_any_client_cert
                                  ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                  : ssl::verify_peer);
      context.set_verify_callback([](bool, ssl::verify_context&) { return true; });
      break;
    case ClientAuth::verify_client_cert_if_given:
    case ClientAuth::require_and_verify_client_cert:
      context.load_verify_file(config.client_ca_file, ec);
      if (ec) {
        error = "TLS client CA " + config.client_ca_file + ": " + ec.message();
        return std::nullopt;
      }
      SSL_CTX_set_client_CA_list(native, SSL_load_client_CA_file(config.client_ca_file.c_str()));
      context.set_verify_mode(config.client_auth == ClientAuth::require_and_verify_client_cert
                                  ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                  : ssl::verify_peer);
      break;
  }
  return context;
}

}  // namespace

struct HttpListener::Impl {
  Impl(ListenAddress a, ListenerLimits limits, WebConfig web, HttpEndpoints endpoints,
       std::shared_ptr<spdlog::logger> log)
      : address(std::move(a)),
        tls_config(std::move(web.tls)),
        context{std::move(endpoints), limits, std::move(web.headers),
                BasicAuth(std::move(web.basic_auth_users)), std::move(log)},
        io(static_cast<int>(limits.threads)) {}

  // Accept handlers run on the acceptor's strand, one at a time.
  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      // A connection accepted is always answered, even when stop() closed
      // the acceptor meanwhile: dropping it would be a failed scrape.
      if (!ec) {
        const bool over_limit = context.sessions.load() >= context.limits.max_connections;
        std::shared_ptr<SessionBase> session;
        if (tls) {
          session = std::make_shared<TlsSession>(std::move(socket), context, *tls);
        } else {
          session = std::make_shared<PlainSession>(std::move(socket), context);
        }
        if (over_limit) {
          context.log->debug("refusing a connection: {} open (http_max_connections)",
                             context.limits.max_connections);
          session->refuse();
        } else {
          std::erase_if(sessions, [](const auto& s) { return s.expired(); });
          sessions.push_back(session);
          session->start();
        }
      } else if (ec != net::error::operation_aborted) {
        context.log->warn("accept failed: {}", ec.message());
      }
      if (acceptor.is_open()) accept();
    });
  }

  ListenAddress address;
  const std::optional<TlsServerConfig> tls_config;  // made into `tls` by start()
  ServingContext context;
  std::optional<ssl::context> tls;                   // when the web config asks for TLS
  std::vector<std::weak_ptr<SessionBase>> sessions;  // acceptor's strand only
  net::io_context io;
  tcp::acceptor acceptor{net::make_strand(io)};
  std::vector<std::thread> threads;
};

HttpListener::HttpListener(ListenAddress address, ListenerLimits limits, WebConfig web,
                           HttpEndpoints endpoints, std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_unique<Impl>(std::move(address), limits, std::move(web), std::move(endpoints),
                                   std::move(log))) {}

std::string answer_raw_request(std::string_view bytes, const HttpEndpoints& endpoints,
                               const ListenerLimits& limits, const WebConfig& web) {
  static const auto quiet = std::make_shared<spdlog::logger>("nq-raw-request");
  ServingContext context{endpoints, limits, web.headers, BasicAuth(web.basic_auth_users), quiet};
  http::request_parser<http::empty_body> parser;
  parser.header_limit(limits.max_header_bytes);
  parser.eager(true);
  beast::error_code ec;
  parser.put(net::buffer(bytes.data(), bytes.size()), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  std::ostringstream out;
  out << answer(context, ec, parser.get());
  return out.str();
}

HttpListener::~HttpListener() {
  stop();
}

bool HttpListener::start(std::string& error, int adopted_socket) {
  Impl& s = *impl_;
  if (s.tls_config) {
    s.tls = make_tls_context(*s.tls_config, error);
    if (!s.tls) {
      if (adopted_socket >= 0) ::close(adopted_socket);
      return false;
    }
  }
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
  for (uint32_t i = 0; i < s.context.limits.threads; ++i) {
    s.threads.emplace_back([&s] {
      try {
        s.io.run();
      } catch (const std::exception& e) {
        s.context.log->error("HTTP listener thread stopped: {}", e.what());
      }
    });
  }
  return true;
}

void HttpListener::stop() noexcept {
  Impl& s = *impl_;
  if (s.threads.empty()) return;
  net::post(s.acceptor.get_executor(), [&s] {
    s.context.stopping.store(true);
    beast::error_code ignored;
    s.acceptor.close(ignored);
    for (const auto& weak : s.sessions) {
      if (const auto session = weak.lock()) session->stop_if_idle();
    }
    s.context.accepting_ended.store(true);
  });
  // Drain: first until the acceptor is closed (a connection accepted before
  // that has its session by then), then until every session has answered.
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  while ((!s.context.accepting_ended.load() || s.context.sessions.load() > 0) &&
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
