// One client connection of the listener, plain or TLS (Session<Stream>).
//
// Thread-safety: every handler of a session runs on its connection's strand;
// the listener (on its acceptor's strand) only calls start(), refuse(),
// evict(), close_if_waiting() and waiting_for(), the first four of which post
// to the session's strand; waiting_for() reads one atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>

#include <boost/asio/read.hpp>

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
  // Closes the connection if it is still in wait number `wait` for a request
  // head (see waiting_for()): the listener makes room at the limit.
  virtual void evict(uint32_t wait) = 0;
  virtual void close_if_waiting(bool new_connections_too) = 0;
  // The number of the wait for a request head the session is in (1 from
  // accept: TLS handshake and first head; then one more per keep-alive
  // request), or 0 while it is not waiting (reading nothing but a response
  // of its own, or closing).
  uint32_t waiting_for() const noexcept { return waiting_for_.load(std::memory_order_acquire); }

 protected:
  std::atomic<uint32_t> waiting_for_{1};
};

// One client connection over Stream (plain TCP or TLS over TCP): handshake
// (TLS) and first request head within the header timeout of the accept; then
// answer, and while keep-alive wait for the next request (idle timeout) and
// read its head (header timeout from its first byte). Every handler runs on
// the connection's strand.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

 public:
  // `security`: the web config snapshot in force when the connection was
  // accepted, for the connection's whole life.
  Session(tcp::socket socket, ServingContext& context, std::shared_ptr<const WebSecurity> security)
      : executor_(socket.get_executor()), context_(context), security_(std::move(security)) {
    if constexpr (kTls) {
      tcp_.emplace(std::move(socket));
    } else {
      stream_.emplace(std::move(socket));
    }
    context_.sessions.fetch_add(1);
  }
  ~Session() override {
    notify(context_.endpoints.on_connection_end, end_);
    context_.sessions.fetch_sub(1);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() override {
    net::dispatch(executor_, [self = shared_from_this()] { self->handshake(); });
  }

  // At the limit with nobody to evict: answer 503 without reading, then close.
  void refuse() override {
    refusing_ = true;
    waiting_for_.store(0, std::memory_order_release);
    start();
  }

  void evict(uint32_t wait) override {
    net::post(executor_, [self = shared_from_this(), wait] {
      if (self->waiting_for_.load(std::memory_order_relaxed) != wait) return;
      self->cut(ConnectionEnd::evicted);
    });
  }

  // On stop (from any thread): a keep-alive connection waiting for its next
  // request is closed now; a new one waiting for its first request only when
  // `new_connections_too` (its request may still be on its way, so stop()
  // gives it a grace period first); one being answered is closed after its
  // response.
  void close_if_waiting(bool new_connections_too) override {
    net::post(executor_, [self = shared_from_this(), new_connections_too] {
      if (!self->idle_ || (self->served_ == 0 && !new_connections_too)) return;
      self->cut(ConnectionEnd::stopping);
    });
  }

 private:
  // The TCP layer: alone until a TLS connection's ClientHello is here.
  beast::tcp_stream& transport() {
    if constexpr (kTls) {
      if (!stream_) return *tcp_;
    }
    return beast::get_lowest_layer(*stream_);
  }
  tcp::socket& socket() { return transport().socket(); }
  void expire_in(uint32_t seconds) { transport().expires_after(std::chrono::seconds(seconds)); }

  // Ends the connection now, for `why`, unless an earlier reason stands.
  void cut(ConnectionEnd why) {
    if (!ended_) end_ = why;
    ended_ = true;
    waiting_for_.store(0, std::memory_order_release);
    beast::error_code ignored;
    socket().close(ignored);
  }

  // A read or handshake that failed: the reason for ending, unless cut()
  // gave one (eviction, stop).
  void fail(beast::error_code ec, ConnectionEnd otherwise) {
    cut(ec == beast::error::timeout ? ConnectionEnd::timeout : otherwise);
  }

  // From accept, the TLS handshake and the first request head share the
  // header timeout, so a client that never finishes either is cut alike.
  void handshake() {
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::seconds(context_.limits.header_timeout_seconds);
    transport().expires_at(deadline_);
    if constexpr (kTls) {
      read_client_hello();
    } else {
      wait_for_request();
    }
  }

  // TLS costs some 140 KB a connection (OpenSSL's and Asio's record
  // buffers), so it is set up only once the client's first record (its
  // ClientHello) is here whole: a connection that sends nothing or dribbles
  // costs a plain one and at most that record.
  void read_client_hello() {
    net::async_read(
        *tcp_, net::dynamic_buffer(hello_),  // the op copies the buffer object, not hello_
        [this](beast::error_code ec, size_t) { return ec ? 0 : hello_missing(); },
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->fail(ec, ConnectionEnd::finished);
          self->begin_tls();
        });
  }

  // Bytes still missing from the first record; 0 once it is whole, or when
  // it is no TLS handshake record (OpenSSL then says why).
  size_t hello_missing() const {
    constexpr size_t kRecordHeader = 5;
    constexpr uint8_t kHandshakeRecord = 0x16;
    constexpr size_t kMaxRecord = kRecordHeader + (1 << 14) + 2048;  // RFC 8446 5.2
    const auto* bytes = reinterpret_cast<const uint8_t*>(hello_.data());
    const size_t have = hello_.size();
    if (have < kRecordHeader) return kRecordHeader - have;
    if (bytes[0] != kHandshakeRecord) return 0;
    const size_t record = kRecordHeader + (size_t{bytes[3]} << 8 | bytes[4]);
    return record > kMaxRecord || record <= have ? 0 : record - have;
  }

  // The handshake reads the ClientHello from hello_ first.
  void begin_tls() {
    if constexpr (kTls) {
      stream_.emplace(std::move(*tcp_), security_->tls->context());
      tcp_.reset();
      transport().expires_at(deadline_);
      stream_->async_handshake(ssl::stream_base::server, net::buffer(hello_),
                               [self = shared_from_this()](beast::error_code ec, size_t) {
                                 self->hello_ = std::string();
                                 if (ec) return self->fail(ec, ConnectionEnd::tls_failure);
                                 self->wait_for_request();
                               });
    }
  }

  void wait_for_request() {
    if (refusing_) {
      end_ = ConnectionEnd::limit;
      Response res = error_response(http::status::service_unavailable,
                                    "Service Unavailable: too many connections\n",
                                    context_.endpoints.server_name);
      res.set(http::field::retry_after, "1");
      return write(std::move(res));
    }
    if (served_ > 0) {
      // A keep-alive connection waits again: evictable as wait number served_ + 1.
      const uint32_t wait = static_cast<uint32_t>(served_ + 1);
      waiting_for_.store(wait, std::memory_order_release);
      context_.waiting(shared_from_this(), wait);
      if (buffer_.size() > 0) return read_request();  // pipelined: already here
      expire_in(context_.limits.idle_timeout_seconds);
    }
    idle_ = true;
    stream_->async_read_some(buffer_.prepare(kFirstReadBytes),
                             [self = shared_from_this()](beast::error_code ec, size_t n) {
                               self->idle_ = false;
                               if (ec) {
                                 const bool kept_alive = self->served_ > 0;
                                 if (ec == beast::error::timeout && kept_alive) {
                                   return self->cut(ConnectionEnd::idle);
                                 }
                                 return self->fail(ec, ConnectionEnd::finished);
                               }
                               self->buffer_.commit(n);
                               self->read_request();
                             });
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(context_.limits.max_header_bytes);
    // A keep-alive request's head within the header timeout of its first
    // byte; a new connection's still runs from the accept.
    if (served_ > 0) expire_in(context_.limits.header_timeout_seconds);
    http::async_read(*stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
                           ec == net::error::operation_aborted) {
                         return self->fail(ec, ConnectionEnd::finished);
                       }
                       const Request& req = self->parser_->get();
                       self->write(answer(self->context_, *self->security_, ec, req));
                     });
  }

  void write(Response res) {
    waiting_for_.store(0, std::memory_order_release);
    ++served_;
    notify(context_.endpoints.on_response, res.result_int());
    response_ = std::move(res);
    expire_in(context_.limits.read_timeout_seconds);
    http::async_write(*stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->fail(ec, ConnectionEnd::finished);
                        if (!self->response_.keep_alive() || self->context_.stopping.load()) {
                          return self->close();
                        }
                        self->wait_for_request();
                      });
  }

  // After a response that ends the connection. TLS: send close_notify
  // (within the read timeout). Plain TCP: a lingering close: stop sending,
  // then read and drop what the client still sends until it closes (at most
  // the read timeout), so that unread bytes (a refused or rejected request)
  // do not make the kernel answer with a reset that would destroy the
  // response in flight.
  void close() {
    ended_ = true;
    expire_in(context_.limits.read_timeout_seconds);
    if constexpr (kTls) {
      stream_->async_shutdown([self = shared_from_this()](beast::error_code) {
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
    stream_->async_read_some(buffer_.prepare(kFirstReadBytes),
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               if (!ec) self->discard_input();
                             });
  }

  const net::any_io_executor executor_;   // the connection's strand
  std::optional<beast::tcp_stream> tcp_;  // TLS: until the ClientHello is here
  std::string hello_;                     // TLS: the ClientHello record so far
  std::optional<Stream> stream_;
  std::chrono::steady_clock::time_point deadline_;  // of the handshake and first head
  ServingContext& context_;
  const std::shared_ptr<const WebSecurity> security_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  Response response_;
  ConnectionEnd end_ = ConnectionEnd::finished;
  bool ended_ = false;
  bool refusing_ = false;
  bool idle_ = false;
  uint64_t served_ = 0;
};

using PlainSession = Session<beast::tcp_stream>;
// Asio's TLS stream: its handshake can start from the ClientHello read first.
using TlsSession = Session<ssl::stream<beast::tcp_stream>>;

}  // namespace nq::metrics::serving
