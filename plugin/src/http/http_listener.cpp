#include "http/http_listener.hpp"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
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
// Out of file descriptors: how long the acceptor waits after making room.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(10);
// How often the same accept failure is logged at most.
constexpr auto kAcceptWarningInterval = std::chrono::seconds(10);

// The connection limit the process's open-file limit allows: half of it, so
// that a flood of connections never takes the files the engine needs.
uint32_t connections_the_fd_limit_allows(uint32_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  const rlim_t half = std::max<rlim_t>(limit.rlim_cur / 2, 1);
  return half < wanted ? static_cast<uint32_t>(half) : wanted;
}

bool out_of_descriptors(const beast::error_code& ec) {
  return ec == net::error::no_descriptors ||
         ec == boost::system::errc::too_many_files_open_in_system;
}

// A session that was waiting for a request head, as its wait number then.
struct WaitingSession {
  std::weak_ptr<SessionBase> session;
  uint32_t wait;
};

}  // namespace

struct HttpListener::Impl {
  Impl(ListenAddress a, ListenerLimits limits, WebConfig web, HttpEndpoints endpoints,
       std::shared_ptr<spdlog::logger> log)
      : address(std::move(a)),
        context{std::move(endpoints), limits, std::move(log), {}},
        io(static_cast<int>(limits.threads)),
        web_config(std::move(web), context.log, context.endpoints.on_web_config_reload) {
    context.waiting = [this](std::weak_ptr<SessionBase> session, uint32_t wait) {
      net::post(acceptor.get_executor(),
                [this, session = std::move(session), wait] { remember_waiting(session, wait); });
    };
  }

  // Accept handlers run on the acceptor's strand, one at a time. There is
  // always exactly one accept (or its retry) in flight while the acceptor is
  // open; the handler that finds it closed is the last one and says so,
  // after it gave its connection (if any) a session, so stop() cannot miss
  // that session.
  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      // A connection accepted is always answered, even when stop() closed
      // the acceptor meanwhile: dropping it would be a failed scrape.
      if (!ec) {
        serve(std::move(socket));
      } else if (out_of_descriptors(ec)) {
        // The connection stays in the kernel's queue: make room, try again.
        if (!evict_oldest_waiting()) warn_accept_failed(ec);
        return accept_again_after(kAcceptRetryDelay);
      } else if (ec != net::error::operation_aborted) {
        warn_accept_failed(ec);
      }
      accept_again_after(std::chrono::milliseconds(0));
    });
  }

  void accept_again_after(std::chrono::milliseconds delay) {
    if (delay.count() == 0 && acceptor.is_open()) return accept();
    if (!acceptor.is_open()) return accepting_ended.store(true);
    retry_timer.expires_after(delay);
    retry_timer.async_wait([this](beast::error_code) { accept_again_after({}); });
  }

  void warn_accept_failed(const beast::error_code& ec) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_accept_warning < kAcceptWarningInterval) return;
    last_accept_warning = now;
    context.log->warn("accepting connections failed: {} ({} open)", ec.message(),
                      context.sessions.load());
  }

  // At the limit, the newcomer takes the place of the oldest connection
  // still waiting for a request head (a silent or slow client, or an idle
  // keep-alive one), as real servers do: so clients that never finish a
  // request cannot lock out the scrape. With none to evict it gets 503.
  void serve(tcp::socket socket) {
    const bool at_limit = context.sessions.load() >= context.limits.max_connections;
    // Not make_shared: the queue's weak pointers would keep a closed
    // session's memory until their entries are dropped.
    std::shared_ptr<SessionBase> session;
    std::shared_ptr<const WebSecurity> security = web_config.current();
    if (security->tls) {
      session.reset(new TlsSession(std::move(socket), context, std::move(security)));
    } else {
      session.reset(new PlainSession(std::move(socket), context, std::move(security)));
    }
    if (at_limit && !evict_oldest_waiting()) {
      context.log->debug(
          "refusing a connection: {} open, none waiting to evict "
          "(http_max_connections)",
          context.limits.max_connections);
      return session->refuse();
    }
    remember_waiting(session, 1);
    session->start();
  }

  // The queue of waits in the order they began; entries whose session moved
  // on (or is gone) are dropped when met, or all at once when the queue
  // grows past twice the limit.
  void remember_waiting(const std::weak_ptr<SessionBase>& session, uint32_t wait) {
    while (!waiting.empty() && !still_waiting(waiting.front())) waiting.pop_front();
    if (waiting.size() >= 2 * static_cast<size_t>(context.limits.max_connections)) {
      std::erase_if(waiting, [](const WaitingSession& w) { return !still_waiting(w); });
    }
    waiting.push_back({session, wait});
  }

  static bool still_waiting(const WaitingSession& w) {
    const auto session = w.session.lock();
    return session && session->waiting_for() == w.wait;
  }

  bool evict_oldest_waiting() {
    while (!waiting.empty()) {
      const WaitingSession oldest = waiting.front();
      waiting.pop_front();
      if (const auto session = oldest.session.lock();
          session && session->waiting_for() == oldest.wait) {
        session->evict(oldest.wait);
        return true;
      }
    }
    return false;
  }

  // From the stopping thread: close the connections waiting for a request.
  void close_waiting_sessions(bool new_connections_too) {
    net::post(acceptor.get_executor(), [this, new_connections_too] {
      for (const WaitingSession& w : waiting) {
        if (const auto session = w.session.lock()) session->close_if_waiting(new_connections_too);
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
  std::deque<WaitingSession> waiting;  // acceptor's strand only
  net::io_context io;
  // Keeps the serving threads in run() until stop() stops the context. They
  // used to return now and then with an accept still pending: the context
  // counted no work although the acceptor was open and an accept issued but
  // not completed (seen under ThreadSanitizer beside CPU hogs, in about one
  // run in five of the reload-under-load test), and the listener served
  // nothing more while its drain waited out the read timeout.
  net::executor_work_guard<net::io_context::executor_type> serving{io.get_executor()};
  tcp::acceptor acceptor{net::make_strand(io)};
  WebConfigWatch web_config;  // acceptor's strand only (after start())
  net::steady_timer retry_timer{acceptor.get_executor()};
  std::chrono::steady_clock::time_point last_accept_warning{};
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
    if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    error = "cannot listen on " + s.address.to_string() + ": " + ec.message();
    beast::error_code ignored;
    s.acceptor.close(ignored);
    return false;
  }
  s.address.port = s.acceptor.local_endpoint().port();
  const uint32_t wanted = s.context.limits.max_connections;
  s.context.limits.max_connections = connections_the_fd_limit_allows(wanted);
  if (s.context.limits.max_connections < wanted) {
    s.context.log->warn(
        "holding at most {} connections, not http_max_connections = {}: that is half of the "
        "process's open-file limit (RLIMIT_NOFILE); raise the limit (e.g. LimitNOFILE=) to hold "
        "more",
        s.context.limits.max_connections, wanted);
  }
  net::dispatch(s.acceptor.get_executor(), [&s] {
    s.accept();
    s.web_config.watch_on(s.acceptor.get_executor());
  });
  for (uint32_t i = 0; i < s.context.limits.threads; ++i) {
    // A handler that throws is logged and the thread serves on: only stop()
    // ends it.
    s.threads.emplace_back([&s] {
      for (;;) {
        try {
          s.io.run();
          return;
        } catch (const std::exception& e) {
          s.context.log->error("a handler of the HTTP listener failed: {}", e.what());
        }
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
