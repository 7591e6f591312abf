// What the HTTP room shares between its parts: Beast's request and response
// types, the context every connection of a listener reads, and answer(), the
// response to one request (limits, credentials, routes, headers).
//
// Thread-safety: a ServingContext is read-only after the listener started,
// except `auth` (thread-safe) and its atomics; answer() may run on several
// serving threads at once.
#pragma once

#include <spdlog/logger.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "http/http_listener.hpp"

namespace nq::metrics::serving {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

using Request = http::request<http::empty_body>;
using Response = http::response<http::string_body>;

class SessionBase;
struct WebSecurity;

// What every connection of a listener shares: read-only after start(),
// except the atomics of the serving state. What the web config says is in
// each connection's WebSecurity snapshot.
struct ServingContext {
  HttpEndpoints endpoints;
  ListenerLimits limits;
  std::shared_ptr<spdlog::logger> log;
  // A session waits again for a request head (keep-alive), as wait number
  // `wait`: the listener may evict it at the limit. Called on the session's
  // strand.
  std::function<void(std::weak_ptr<SessionBase>, uint32_t wait)> waiting;
  std::atomic<bool> stopping{false};
  std::atomic<uint32_t> sessions{0};
};

// Calls `callback` with `args` when it is set.
template <class Callback, class... Args>
void notify(const Callback& callback, Args&&... args) {
  if (callback) callback(std::forward<Args>(args)...);
}

// A response that closes the connection (a request that broke a limit).
Response error_response(http::status status, std::string body, const std::string& server_name);

// The answer to a request read whole (or to the error that stopped reading
// it): limits, then the rate limit, then credentials, then the route; with
// the configured headers. `security`: the connection's web config snapshot.
Response answer(ServingContext& context, const WebSecurity& security, beast::error_code read_error,
                const Request& req);

}  // namespace nq::metrics::serving
