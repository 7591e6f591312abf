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
#include "http/tls_context.hpp"

namespace nq::metrics {
namespace {

using namespace serving;

constexpr auto kDrainTimeout = std::chrono::seconds(1);
constexpr int kListenBacklog = 64;

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
