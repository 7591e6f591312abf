// One client connection of the listener, plain or TLS (Session<Stream>).
//
// Thread-safety: every handler of a session runs on its connection's strand;
// the listener only calls start(), refuse() and close_if_waiting(), each of
// which posts to that strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>

#include "http/serving.hpp"
#include "http/web_security.hpp"

namespace nq::metrics::serving {

constexpr size_t kFirstReadBytes = 1024;

// What the listener needs of a session of either kind.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void start() = 0;
  virtual void refuse() = 0;
  virtual void close_if_waiting(bool new_connections_too) = 0;
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
  // `security`: the web config snapshot in force when the connection was
  // accepted, for the connection's whole life.
  Session(tcp::socket socket, ServingContext& context, std::shared_ptr<const WebSecurity> security)
      : stream_(open(std::move(socket), *security)),
        context_(context),
        security_(std::move(security)) {
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
  // request is closed now; a new one waiting for its first request only when
  // `new_connections_too` (its request may still be on its way, so stop()
  // gives it a grace period first); one being answered is closed after its
  // response.
  void close_if_waiting(bool new_connections_too) override {
    net::post(stream_.get_executor(), [self = shared_from_this(), new_connections_too] {
      if (!self->idle_ || (self->served_ == 0 && !new_connections_too)) return;
      beast::error_code ignored;
      self->socket().close(ignored);
    });
  }

 private:
  static Stream open(tcp::socket socket, const WebSecurity& security) {
    if constexpr (kTls) {
      return Stream(std::move(socket), security.tls->context());
    } else {
      return Stream(std::move(socket));
    }
  }
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
                       const Request& req = self->parser_->get();
                       self->write(answer(self->context_, *self->security_, ec, req));
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
  const std::shared_ptr<const WebSecurity> security_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  Response response_;
  bool refusing_ = false;
  bool idle_ = false;
  uint64_t served_ = 0;
};

using PlainSession = Session<beast::tcp_stream>;
using TlsSession = Session<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace nq::metrics::serving
