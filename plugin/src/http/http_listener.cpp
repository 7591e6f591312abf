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

#include "http/session.hpp"
#include "http/web_config_watch.hpp"

namespace nq::metrics {
namespace {

using namespace serving;

// How long stop() lets a new connection's first request arrive before it
// closes connections that are still waiting for one.
constexpr auto kFirstRequestGrace = std::chrono::seconds(1);
constexpr int kListenBacklog = 64;

}  // namespace

struct HttpListener::Impl {
  Impl(ListenAddress a, ListenerLimits limits, WebConfig web, HttpEndpoints endpoints,
       std::shared_ptr<spdlog::logger> log)
      : address(std::move(a)),
        context{std::move(endpoints), limits, std::move(log)},
        io(static_cast<int>(limits.threads)),
        web_config(std::move(web), context.log, context.endpoints.on_web_config_reload) {}

  // Accept handlers run on the acceptor's strand, one at a time. There is
  // always exactly one accept in flight while the acceptor is open; the
  // handler that finds it closed is the last one and says so, after it gave
  // its connection (if any) a session, so stop() cannot miss that session.
  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      // A connection accepted is always answered, even when stop() closed
      // the acceptor meanwhile: dropping it would be a failed scrape.
      if (!ec) {
        serve(std::move(socket));
      } else if (ec != net::error::operation_aborted) {
        context.log->warn("accept failed: {}", ec.message());
      }
      if (acceptor.is_open()) return accept();
      accepting_ended.store(true);
    });
  }

  void serve(tcp::socket socket) {
    const bool over_limit = context.sessions.load() >= context.limits.max_connections;
    std::shared_ptr<SessionBase> session;
    std::shared_ptr<const WebSecurity> security = web_config.current();
    if (security->tls) {
      session = std::make_shared<TlsSession>(std::move(socket), context, std::move(security));
    } else {
      session = std::make_shared<PlainSession>(std::move(socket), context, std::move(security));
    }
    if (over_limit) {
      context.log->debug("refusing a connection: {} open (http_max_connections)",
                         context.limits.max_connections);
      return session->refuse();
    }
    std::erase_if(sessions, [](const auto& s) { return s.expired(); });
    sessions.push_back(session);
    session->start();
  }

  // From the stopping thread: close the connections waiting for a request.
  void close_waiting_sessions(bool new_connections_too) {
    net::post(acceptor.get_executor(), [this, new_connections_too] {
      for (const auto& weak : sessions) {
        if (const auto session = weak.lock()) session->close_if_waiting(new_connections_too);
      }
    });
  }

  // Sleeps until `done()` or the deadline; true when done.
  template <class Done>
  static bool wait_until(Done done, std::chrono::steady_clock::time_point deadline) {
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  ListenAddress address;
  ServingContext context;
  std::vector<std::weak_ptr<SessionBase>> sessions;  // acceptor's strand only
  net::io_context io;
  tcp::acceptor acceptor{net::make_strand(io)};
  WebConfigWatch web_config;  // acceptor's strand only (after start())
  std::vector<std::thread> threads;
  std::atomic<bool> accepting_ended{false};  // set by the last accept handler
};

HttpListener::HttpListener(ListenAddress address, ListenerLimits limits, WebConfig web,
                           HttpEndpoints endpoints, std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_unique<Impl>(std::move(address), limits, std::move(web), std::move(endpoints),
                                   std::move(log))) {}

HttpListener::~HttpListener() {
  stop();
}

bool HttpListener::start(std::string& error, int adopted_socket) {
  Impl& s = *impl_;
  if (!s.web_config.start(error)) {
    if (adopted_socket >= 0) ::close(adopted_socket);
    return false;
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
  net::dispatch(s.acceptor.get_executor(), [&s] {
    s.accept();
    s.web_config.watch_on(s.acceptor.get_executor());
  });
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

// Drain: close the acceptor (connections arriving from now on wait in the
// kernel's queue for whoever serves the socket next) and the idle keep-alive
// connections; answer every request already accepted. A new connection gets
// kFirstRequestGrace for its first request; after that, connections still
// waiting for one are closed. A request being read or answered has the read
// timeout more; a connection still open then is cut.
void HttpListener::stop() noexcept {
  Impl& s = *impl_;
  if (s.threads.empty()) return;
  net::post(s.acceptor.get_executor(), [&s] {
    s.context.stopping.store(true);
    s.web_config.stop();
    beast::error_code ignored;
    s.acceptor.close(ignored);
  });
  s.close_waiting_sessions(false);
  const auto began = std::chrono::steady_clock::now();
  const auto drained = [&s] { return s.accepting_ended.load() && s.context.sessions.load() == 0; };
  if (!Impl::wait_until(drained, began + kFirstRequestGrace)) {
    s.close_waiting_sessions(true);
    const auto read_timeout = std::chrono::seconds(s.context.limits.read_timeout_seconds);
    if (!Impl::wait_until(drained, began + kFirstRequestGrace + read_timeout)) {
      s.context.log->warn("stopping the listener with {} connection(s) still open",
                          s.context.sessions.load());
    }
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
